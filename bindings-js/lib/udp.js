// SCTP over UDP (RFC 6951) with Node's dgram: one SCTP packet per datagram.
// Imported only by the Node entries of both packages.
import dgram from "node:dgram";

export function createUdpSocket({ port = 0, address = "0.0.0.0" } = {}) {
  const sock = dgram.createSocket({ type: address.includes(":") ? "udp6" : "udp4" });
  const t = {
    onmessage: null,
    address: null,
    send(data, destination) {
      const i = destination.lastIndexOf(":");
      const host = destination.slice(0, i).replace(/^\[|\]$/g, "");
      sock.send(data, Number(destination.slice(i + 1)), host);
    },
    close() { try { sock.close(); } catch { /* already closed */ } },
  };
  sock.on("message", (msg, rinfo) => {
    if (t.onmessage) t.onmessage(msg, rinfo.family === "IPv6" ? `[${rinfo.address}]:${rinfo.port}` : `${rinfo.address}:${rinfo.port}`);
  });
  sock.on("error", () => { /* ICMP errors on send: SCTP's retransmission handles loss */ });
  return new Promise((resolve, reject) => {
    sock.once("error", reject);
    sock.bind(port, address, () => {
      sock.removeListener("error", reject);
      const a = sock.address();
      t.address = { address: a.address, port: a.port, family: a.family };
      resolve(t);
    });
  });
}
