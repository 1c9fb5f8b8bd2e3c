"""An SCTP-over-UDP echo server and client with asyncio."""

import asyncio

import anysctp.asyncio


async def echo(association: anysctp.asyncio.Association) -> None:
    async for message in association:
        await association.send(message.data, stream=message.stream, ppid=message.ppid)


async def main() -> None:
    server = await anysctp.asyncio.serve(echo, "127.0.0.1", 9899)
    async with server:
        async with await anysctp.asyncio.connect("127.0.0.1", 9899) as assoc:
            await assoc.send(b"hello", stream=1, ppid=51)
            reply = await assoc.recv()
            print(f"echo on stream {reply.stream}: {reply.data!r}")


if __name__ == "__main__":
    asyncio.run(main())
