// SCTP over UDP (RFC 6951) with Node's dgram: one SCTP packet per datagram.
// Imported only by the Node entries of both packages.
import dgram from "node:dgram";

export function createUdpSocket({ port = 0, address = "0.0.0.0" } = {}) {
  const sock = dgram.createSocket({ type: address.includes(":") ? "udp6" : "udp4" });
  // dgram.send() resolves the host asynchronously: closing at once would drop
  // the last packets (e.g. the SHUTDOWN COMPLETE of a graceful close), so
  // close() waits for the sends under way.
  let sending = 0;
  let closing = false;
  const closeNow = () => { try { sock.close(); } catch { /* already closed */ } };
  const sent = () => { if (--sending === 0 && closing) closeNow(); };
  const t = {
    onmessage: null,
    address: null,
    send(data, destination) {
      if (closing) return;
      const i = destination.lastIndexOf(":");
      const host = destination.slice(0, i).replace(/^\[|\]$/g, "");
      sending++;
      sock.send(data, Number(destination.slice(i + 1)), host, sent);
    },
    close() {
      if (closing) return;
      closing = true;
      if (sending === 0) closeNow();
    },
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
