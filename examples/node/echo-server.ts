// Echo server: SCTP over UDP (RFC 6951) on port 9899. Run with
//   node --experimental-strip-types echo-server.ts   (or compile with tsc)
import { listen } from "anysctp";

const server = await listen({ host: "0.0.0.0", port: 9899 });
console.log("listening on udp", server.address);
for await (const assoc of server) {
  console.log("association", assoc.id, "from", assoc.remoteAddresses);
  (async () => {
    for await (const m of assoc) assoc.send(m.data, { stream: m.stream, ppid: m.ppid, unordered: m.unordered });
    console.log("association", assoc.id, "closed:", assoc.closeReason);
  })();
}
