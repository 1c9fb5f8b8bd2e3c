// Echo client: sends 10 messages over 2 streams and waits for the echoes.
import { connect } from "anysctp";

const assoc = await connect({ host: process.argv[2] ?? "127.0.0.1", port: 9899 });
for (let i = 0; i < 10; i++) assoc.send(`message ${i}`, { stream: i % 2 });
let n = 0;
for await (const m of assoc) {
  console.log(`stream ${m.stream}:`, new TextDecoder().decode(m.data));
  if (++n === 10) break;
}
await assoc.shutdown();
