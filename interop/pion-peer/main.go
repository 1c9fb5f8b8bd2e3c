// pion-peer: an SCTP interop peer built on pion/sctp, speaking SCTP over UDP
// (RFC 6951: the SCTP packet is the UDP payload).
//
// Usage (shared by every peer of the interop matrix, see ../README.md):
//
//	pion-peer server --udp-port U --sctp-port S [scenario flags]
//	pion-peer client --remote HOST:UDPPORT --sctp-port S --remote-sctp-port S2 [--udp-port U] [scenario flags]
//
// Scenario flags: --streams N --count N --size B --unordered 0|1|mixed
// --send-streams N --big BYTES --echo --expect N --timeout SECS.
//
// It prints exactly one line `RESULT {json}` and exits 0 only if ok.
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pion/logging"
	"github.com/pion/sctp"
)

// ---------------------------------------------------------------- options

type options struct {
	role          string
	udpPort       int
	sctpPort      int
	remote        string
	remoteSctp    int
	streams       int
	count         int
	size          int
	unordered     string
	sendStreams   int
	big           int
	echo          bool
	expect        int
	timeout       float64
	linger        float64
	maxMessageLen int
	fixShutdown   bool
}

func parseOptions() (*options, error) {
	if len(os.Args) < 2 || (os.Args[1] != "server" && os.Args[1] != "client") {
		return nil, errors.New("first argument must be 'server' or 'client'")
	}
	o := &options{role: os.Args[1]}
	fs := flag.NewFlagSet(o.role, flag.ContinueOnError)
	fs.IntVar(&o.udpPort, "udp-port", 0, "local UDP port (0: ephemeral, client only)")
	fs.IntVar(&o.sctpPort, "sctp-port", 5000, "local SCTP port (common header)")
	fs.StringVar(&o.remote, "remote", "", "remote HOST:UDPPORT (client)")
	fs.StringVar(&o.remote, "remote-udp", "", "alias of --remote")
	fs.IntVar(&o.remoteSctp, "remote-sctp-port", 0, "remote SCTP port (client; server learns it)")
	fs.IntVar(&o.streams, "streams", 16, "streams to negotiate (pion always offers 65535; see README)")
	fs.IntVar(&o.count, "count", 0, "messages to send")
	fs.IntVar(&o.size, "size", 100, "size of each message in bytes (>= 8)")
	fs.StringVar(&o.unordered, "unordered", "0", "0, 1 or mixed (odd ids unordered)")
	fs.IntVar(&o.sendStreams, "send-streams", 1, "message i goes on stream i % N")
	fs.IntVar(&o.big, "big", 0, "send one message of this many bytes instead")
	fs.BoolVar(&o.echo, "echo", false, "echo each received message back on its stream")
	fs.IntVar(&o.expect, "expect", 0, "messages to receive before closing")
	fs.BoolVar(&o.fixShutdown, "fix-shutdown-cum-ack", false, "work around pion 1.8.6's wrong SHUTDOWN Cumulative TSN Ack (see README)")
	fs.Float64Var(&o.timeout, "timeout", 30, "hard time limit in seconds")
	fs.Float64Var(&o.linger, "linger", 0, "after a graceful end, keep answering the peer for up to SECS (SIGTERM ends it)")
	if err := fs.Parse(os.Args[2:]); err != nil {
		return nil, err
	}
	if o.role == "server" && o.udpPort == 0 {
		return nil, errors.New("server needs --udp-port")
	}
	if o.role == "client" && (o.remote == "" || o.remoteSctp == 0) {
		return nil, errors.New("client needs --remote and --remote-sctp-port")
	}
	if o.unordered != "0" && o.unordered != "1" && o.unordered != "mixed" {
		return nil, errors.New("--unordered must be 0, 1 or mixed")
	}
	if o.sendStreams < 1 || o.sendStreams > 65535 || o.size < 8 || (o.big != 0 && o.big < 8) {
		return nil, errors.New("bad --send-streams, --size or --big")
	}
	if o.big > 0 {
		o.count = min(o.count, 1)
		if o.count == 0 && o.role == "client" {
			o.count = 1
		}
		o.size = o.big
	}
	o.maxMessageLen = o.size
	return o, nil
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

func (o *options) isUnordered(id uint64) bool {
	switch o.unordered {
	case "1":
		return true
	case "mixed":
		return id%2 == 1
	}
	return false
}

func (o *options) streamOf(id uint64) uint16 { return uint16(id % uint64(o.sendStreams)) }

// makeMessage builds message `id`: 8 bytes id (little endian), then byte i is (id+i)%251.
func makeMessage(id uint64, size int) []byte {
	b := make([]byte, size)
	binary.LittleEndian.PutUint64(b, id)
	v := (id + 8) % 251
	for i := 8; i < size; i++ {
		b[i] = byte(v)
		v++
		if v == 251 {
			v = 0
		}
	}
	return b
}

// ---------------------------------------------------------------- result

type result struct {
	mu          sync.Mutex
	role        string
	sent        int64
	received    int64
	bytes       int64
	errors      []string
	nerrors     int
	shutdown    string
	seen        map[uint64]bool
	lastOrdered map[uint16]uint64
	hasOrdered  map[uint16]bool
	printed     bool
}

func (r *result) errorf(format string, args ...interface{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addErrorLocked(fmt.Sprintf(format, args...))
}

func (r *result) addErrorLocked(e string) {
	r.nerrors++
	if len(r.errors) < 20 { // keep the RESULT line bounded
		r.errors = append(r.errors, e)
	}
}

// verify checks one received message; returns its id and whether it is valid.
func (r *result) verify(o *options, stream uint16, msg []byte) (uint64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.received++
	r.bytes += int64(len(msg))
	if len(msg) < 8 {
		r.addErrorLocked(fmt.Sprintf("message of %d bytes on stream %d: too short", len(msg), stream))
		return 0, false
	}
	id := binary.LittleEndian.Uint64(msg)
	ok := true
	if len(msg) != o.size {
		r.addErrorLocked(fmt.Sprintf("id %d: size %d, want %d", id, len(msg), o.size))
		ok = false
	}
	v := (id + 8) % 251
	for i := 8; i < len(msg); i++ {
		if msg[i] != byte(v) {
			r.addErrorLocked(fmt.Sprintf("id %d: wrong byte at %d", id, i))
			ok = false
			break
		}
		v++
		if v == 251 {
			v = 0
		}
	}
	if want := o.streamOf(id); want != stream {
		r.addErrorLocked(fmt.Sprintf("id %d: on stream %d, want %d", id, stream, want))
		ok = false
	}
	if r.seen[id] {
		r.addErrorLocked(fmt.Sprintf("id %d: duplicate", id))
		return id, false
	}
	r.seen[id] = true
	if !o.isUnordered(id) {
		if r.hasOrdered[stream] && id <= r.lastOrdered[stream] {
			r.addErrorLocked(fmt.Sprintf("id %d: ordered message after id %d on stream %d", id, r.lastOrdered[stream], stream))
			ok = false
		}
		r.hasOrdered[stream] = true
		r.lastOrdered[stream] = id
	}
	return id, ok
}

func (r *result) receivedCount() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.received
}

// finish prints the RESULT line (once) and exits.
func (r *result) finish(o *options, extraErr string) {
	r.mu.Lock()
	if r.printed {
		r.mu.Unlock()
		select {} // another goroutine is exiting
	}
	r.printed = true
	if extraErr != "" {
		r.addErrorLocked(extraErr)
	}
	if o != nil && o.expect > 0 {
		var missing []uint64
		for id := uint64(0); id < uint64(o.expect); id++ {
			if !r.seen[id] {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			r.addErrorLocked(fmt.Sprintf("%d expected ids missing (first %d)", len(missing), missing[0]))
		}
		if r.received > int64(o.expect) {
			r.addErrorLocked(fmt.Sprintf("received %d messages, expected %d", r.received, o.expect))
		}
	}
	if r.shutdown != "graceful" {
		r.addErrorLocked("association did not shut down gracefully: " + r.shutdown)
	}
	ok := r.nerrors == 0
	errs := r.errors
	if errs == nil {
		errs = []string{}
	}
	out := map[string]interface{}{
		"ok": ok, "peer": "pion", "role": r.role, "sent": r.sent, "received": r.received,
		"bytes": r.bytes, "errors": errs, "shutdown": r.shutdown,
	}
	j, _ := json.Marshal(out)
	fmt.Printf("RESULT %s\n", j)
	os.Stdout.Sync()
	code := 1
	if ok {
		code = 0
	}
	if lingerConn != nil && extraErr == "" && o != nil && o.linger > 0 {
		term := make(chan os.Signal, 1)
		signal.Notify(term, syscall.SIGTERM)
		go func() { <-term; os.Exit(code) }()
		lingerConn.linger(time.Now().Add(time.Duration(o.linger * float64(time.Second))))
	}
	os.Exit(code)
}

// ---------------------------------------------------------------- UDP conn

// pion/sctp 1.8.6 hard-codes SCTP ports 5000/5000 for the client (WebRTC
// style) and copies the INIT's ports on the server. udpConn therefore maps
// the agreed ports on the wire to 5000/5000 inside, re-computing the CRC32c,
// after verifying the CRC32c of every received packet itself.
const pionPort = 5000

// lingerConn is the connection finish lingers on (set once established).
var lingerConn *udpConn

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

const (
	chunkInit             = 1
	chunkInitAck          = 2
	chunkSack             = 3
	chunkAbort            = 6
	chunkShutdown         = 7
	chunkShutdownAck      = 8
	chunkShutdownComplete = 14
)

type udpConn struct {
	pc         *net.UDPConn
	mu         sync.Mutex
	remote     *net.UDPAddr
	localSctp  uint16
	remoteSctp uint16
	closed     int32
	// chunk types seen, for reporting how the association ended
	inFlags  [256]int32
	outFlags [256]int32
	badCRC   int64
	// --fix-shutdown-cum-ack (see fixShutdown)
	fixShutdown bool
	peerCumAck  uint32 // the Cumulative TSN Ack pion last told the peer
	havePeerTSN bool
}

func checksum(p []byte) uint32 {
	var zero [4]byte
	sum := crc32.Update(0, castagnoli, p[0:8])
	sum = crc32.Update(sum, castagnoli, zero[:])
	return crc32.Update(sum, castagnoli, p[12:])
}

func markChunks(p []byte, flags *[256]int32) {
	off := 12
	for off+4 <= len(p) {
		atomic.StoreInt32(&flags[p[off]], 1)
		l := int(binary.BigEndian.Uint16(p[off+2:]))
		if l < 4 {
			return
		}
		off += (l + 3) &^ 3
	}
}

func (c *udpConn) Read(b []byte) (int, error) {
	for {
		n, from, err := c.pc.ReadFromUDP(b)
		if err != nil {
			return 0, io.EOF
		}
		if atomic.LoadInt32(&c.closed) != 0 {
			return 0, io.EOF
		}
		c.mu.Lock()
		if c.remote == nil {
			c.remote = from
		}
		same := c.remote.Port == from.Port && c.remote.IP.Equal(from.IP)
		c.mu.Unlock()
		if !same || n < 16 {
			continue
		}
		p := b[:n]
		if binary.LittleEndian.Uint32(p[8:]) != checksum(p) {
			atomic.AddInt64(&c.badCRC, 1)
			continue
		}
		src, dst := binary.BigEndian.Uint16(p[0:]), binary.BigEndian.Uint16(p[2:])
		c.mu.Lock()
		if c.remoteSctp == 0 {
			c.remoteSctp = src
		}
		okPorts := dst == c.localSctp && src == c.remoteSctp
		c.mu.Unlock()
		if !okPorts {
			continue
		}
		markChunks(p, &c.inFlags)
		if c.fixShutdown {
			c.learnPeerInitialTSN(p)
		}
		binary.BigEndian.PutUint16(p[0:], pionPort)
		binary.BigEndian.PutUint16(p[2:], pionPort)
		binary.LittleEndian.PutUint32(p[8:], checksum(p))
		return n, nil
	}
}

func (c *udpConn) Write(b []byte) (int, error) {
	if atomic.LoadInt32(&c.closed) != 0 {
		return 0, io.EOF
	}
	if len(b) < 12 {
		return 0, errors.New("short packet")
	}
	p := make([]byte, len(b))
	copy(p, b)
	c.mu.Lock()
	remote, rport := c.remote, c.remoteSctp
	c.mu.Unlock()
	if remote == nil {
		return 0, errors.New("no remote address yet")
	}
	if c.fixShutdown {
		c.fixShutdownCumAck(p)
	}
	binary.BigEndian.PutUint16(p[0:], c.localSctp)
	binary.BigEndian.PutUint16(p[2:], rport)
	binary.LittleEndian.PutUint32(p[8:], checksum(p))
	markChunks(p, &c.outFlags)
	if _, err := c.pc.WriteToUDP(p, remote); err != nil {
		return 0, err
	}
	return len(b), nil
}

// pion/sctp 1.8.6 fills the SHUTDOWN chunk's Cumulative TSN Ack with its own
// send-side ack point (a.cumulativeTSNAckPoint, in pion's TSN space) instead of
// the last TSN it received in sequence from the peer (RFC 9260 §3.3.8). A peer
// that checks it (usrsctp) aborts with "Protocol violation: Cum ack ... greater
// or equal than TSN ..." whenever the random initial TSNs make the bogus value
// look ahead of what it sent (about half the runs). With --fix-shutdown-cum-ack
// the shim rewrites that field to the Cumulative TSN Ack of the last SACK pion
// sent (or the peer's initial TSN - 1 when pion never acknowledged anything).
func (c *udpConn) fixShutdownCumAck(p []byte) {
	forEachChunk(p, func(t byte, ch []byte) {
		c.mu.Lock()
		defer c.mu.Unlock()
		switch {
		case t == chunkSack && len(ch) >= 8:
			c.peerCumAck = binary.BigEndian.Uint32(ch[4:])
			c.havePeerTSN = true
		case t == chunkShutdown && len(ch) >= 8 && c.havePeerTSN:
			binary.BigEndian.PutUint32(ch[4:], c.peerCumAck)
		}
	})
}

// learnPeerInitialTSN records the peer's initial TSN from its INIT or INIT-ACK.
func (c *udpConn) learnPeerInitialTSN(p []byte) {
	forEachChunk(p, func(t byte, ch []byte) {
		if (t == chunkInit || t == chunkInitAck) && len(ch) >= 20 {
			c.mu.Lock()
			c.peerCumAck = binary.BigEndian.Uint32(ch[16:]) - 1
			c.havePeerTSN = true
			c.mu.Unlock()
		}
	})
}

// forEachChunk calls f with each chunk's type and bytes (bounded by the packet).
func forEachChunk(p []byte, f func(t byte, ch []byte)) {
	off := 12
	for off+4 <= len(p) {
		l := int(binary.BigEndian.Uint16(p[off+2:]))
		if l < 4 || off+l > len(p) {
			return
		}
		f(p[off], p[off:off+l])
		off += (l + 3) &^ 3
	}
}

// Close ends pion's use of the socket but keeps it open, so that linger can
// still answer the peer (the process closes it on exit).
func (c *udpConn) Close() error {
	if atomic.CompareAndSwapInt32(&c.closed, 0, 1) {
		return c.pc.SetReadDeadline(time.Now())
	}
	return nil
}

// linger answers out-of-the-blue SHUTDOWN-ACKs with SHUTDOWN-COMPLETE (T bit
// set, the received tag reflected; RFC 9260 §8.4 item 5) until `until`. The
// peer retransmits SHUTDOWN-ACK when our SHUTDOWN-COMPLETE was lost; without
// an answer it would wait for its retransmission limit (pion: forever).
func (c *udpConn) linger(until time.Time) {
	buf := make([]byte, 2048)
	_ = c.pc.SetReadDeadline(until)
	for {
		n, from, err := c.pc.ReadFromUDP(buf)
		if err != nil {
			return
		}
		p := buf[:n]
		if n < 16 || binary.LittleEndian.Uint32(p[8:]) != checksum(p) || p[12] != chunkShutdownAck {
			continue
		}
		out := make([]byte, 16)
		copy(out[0:2], p[2:4]) // our port
		copy(out[2:4], p[0:2]) // their port
		copy(out[4:8], p[4:8]) // the tag they used, reflected
		out[12], out[13] = chunkShutdownComplete, 1
		binary.BigEndian.PutUint16(out[14:], 4)
		binary.LittleEndian.PutUint32(out[8:], checksum(out))
		_, _ = c.pc.WriteToUDP(out, from)
	}
}

func (c *udpConn) LocalAddr() net.Addr { return c.pc.LocalAddr() }
func (c *udpConn) RemoteAddr() net.Addr {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.remote
}
func (c *udpConn) SetDeadline(t time.Time) error      { return nil }
func (c *udpConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *udpConn) SetWriteDeadline(t time.Time) error { return nil }

func (c *udpConn) saw(in bool, t byte) bool {
	if in {
		return atomic.LoadInt32(&c.inFlags[t]) != 0
	}
	return atomic.LoadInt32(&c.outFlags[t]) != 0
}

// endReason tells how the association ended, from the chunks seen on the wire.
func (c *udpConn) endReason() string {
	switch {
	case c.saw(true, chunkAbort):
		return "abort"
	case c.saw(false, chunkAbort):
		return "abort"
	// initiator: SHUTDOWN out, SHUTDOWN-ACK in, SHUTDOWN-COMPLETE out
	case c.saw(false, chunkShutdown) && c.saw(true, chunkShutdownAck) && c.saw(false, chunkShutdownComplete):
		return "graceful"
	// responder: SHUTDOWN in, SHUTDOWN-ACK out, SHUTDOWN-COMPLETE in
	case c.saw(true, chunkShutdown) && c.saw(false, chunkShutdownAck) && c.saw(true, chunkShutdownComplete):
		return "graceful"
	}
	return "closed without shutdown"
}

// ---------------------------------------------------------------- peer

type peer struct {
	o       *options
	res     *result
	assoc   *sctp.Association
	conn    *udpConn
	mu      sync.Mutex
	streams map[uint16]*sctp.Stream
	readers sync.WaitGroup
	reading map[uint16]bool
}

func (p *peer) stream(id uint16) (*sctp.Stream, error) {
	p.mu.Lock()
	s := p.streams[id]
	p.mu.Unlock()
	if s != nil {
		return s, nil
	}
	s, err := p.assoc.OpenStream(id, sctp.PayloadTypeWebRTCBinary)
	if err != nil {
		return nil, err
	}
	p.addStream(s)
	return s, nil
}

// addStream registers a stream and starts its reader once.
func (p *peer) addStream(s *sctp.Stream) {
	id := s.StreamIdentifier()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.streams[id] = s
	if p.reading[id] {
		return
	}
	p.reading[id] = true
	p.readers.Add(1)
	go p.readStream(s)
}

func (p *peer) send(s *sctp.Stream, id uint64, msg []byte) error {
	unordered := p.o.isUnordered(id)
	s.SetReliabilityParams(unordered, sctp.ReliabilityTypeReliable, 0)
	if _, err := s.WriteSCTP(msg, sctp.PayloadTypeWebRTCBinary); err != nil {
		return err
	}
	atomic.AddInt64(&p.res.sent, 1)
	return nil
}

func (p *peer) readStream(s *sctp.Stream) {
	defer p.readers.Done()
	buf := make([]byte, p.o.maxMessageLen+1)
	for {
		n, _, err := s.ReadSCTP(buf)
		if err != nil {
			if errors.Is(err, io.ErrShortBuffer) {
				p.res.errorf("stream %d: message larger than %d bytes", s.StreamIdentifier(), len(buf))
			}
			return
		}
		msg := buf[:n]
		id, _ := p.res.verify(p.o, s.StreamIdentifier(), msg)
		if p.o.echo && n >= 8 {
			// Echo with the ordering the id implies, so the other side can verify it.
			cp := make([]byte, n)
			copy(cp, msg)
			if err := p.send(s, id, cp); err != nil {
				p.res.errorf("echo id %d: %v", id, err)
			}
		}
	}
}

func (p *peer) acceptLoop() {
	for {
		s, err := p.assoc.AcceptStream()
		if err != nil {
			return // the association is gone
		}
		p.addStream(s)
	}
}

func (p *peer) sendAll() {
	for i := 0; i < p.o.count; i++ {
		id := uint64(i)
		s, err := p.stream(p.o.streamOf(id))
		if err != nil {
			p.res.errorf("open stream: %v", err)
			return
		}
		if err := p.send(s, id, makeMessage(id, p.o.size)); err != nil {
			p.res.errorf("send id %d: %v", id, err)
			return
		}
	}
}

func (p *peer) buffered() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var n uint64
	for _, s := range p.streams {
		n += s.BufferedAmount()
	}
	return n
}

func main() {
	o, err := parseOptions()
	res := &result{role: "?", shutdown: "none", seen: map[uint64]bool{},
		lastOrdered: map[uint16]uint64{}, hasOrdered: map[uint16]bool{}}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		res.finish(nil, "usage: "+err.Error())
	}
	res.role = o.role
	time.AfterFunc(time.Duration(o.timeout*float64(time.Second)), func() {
		res.finish(o, fmt.Sprintf("timeout after %gs", o.timeout))
	})

	conn := &udpConn{localSctp: uint16(o.sctpPort), remoteSctp: uint16(o.remoteSctp), fixShutdown: o.fixShutdown}
	laddr := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: o.udpPort}
	if o.role == "client" {
		raddr, err := net.ResolveUDPAddr("udp", o.remote)
		if err != nil {
			res.finish(o, "bad --remote: "+err.Error())
		}
		conn.remote = raddr
		if raddr.IP.To4() == nil {
			laddr.IP = net.IPv6loopback
		}
		if !raddr.IP.IsLoopback() {
			laddr.IP = nil
		}
	}
	pc, err := net.ListenUDP("udp", laddr)
	if err != nil {
		res.finish(o, "bind: "+err.Error())
	}
	_ = pc.SetReadBuffer(4 << 20)
	_ = pc.SetWriteBuffer(4 << 20)
	conn.pc = pc

	lf := logging.NewDefaultLoggerFactory()
	cfg := sctp.Config{
		NetConn:       conn,
		LoggerFactory: lf,
		// pion's default MaxMessageSize is 65536; allow the big-message scenario.
		MaxMessageSize: uint32(o.maxMessageLen + 1024),
		// A receive window smaller than one message would stall reassembly.
		MaxReceiveBufferSize: uint32(max(1<<20, 2*o.maxMessageLen+65536)),
	}
	p := &peer{o: o, res: res, conn: conn, streams: map[uint16]*sctp.Stream{}, reading: map[uint16]bool{}}
	if o.role == "client" {
		p.assoc, err = sctp.Client(cfg)
	} else {
		p.assoc, err = sctp.Server(cfg)
	}
	if err != nil {
		res.shutdown = conn.endReason()
		res.finish(o, "handshake: "+err.Error())
	}
	fmt.Fprintf(os.Stderr, "pion-peer %s: association established\n", o.role)
	lingerConn = conn
	acceptDone := make(chan struct{})
	go func() { p.acceptLoop(); close(acceptDone) }()

	p.sendAll()

	if o.role == "client" {
		// Shut down only after everything sent is acknowledged and everything
		// expected has arrived (pion's Shutdown does not wait for queued data).
		for p.buffered() > 0 || res.receivedCount() < int64(o.expect) {
			select {
			case <-acceptDone:
				res.mu.Lock()
				res.shutdown = conn.endReason()
				res.mu.Unlock()
				res.finish(o, "association ended before the client finished")
			case <-time.After(5 * time.Millisecond):
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(o.timeout*float64(time.Second)))
		err := p.assoc.Shutdown(ctx)
		cancel()
		if err != nil {
			res.errorf("shutdown: %v", err)
		}
	}
	// Both roles: the association is over when pion closes the accept channel
	// (its read loop ended); then the stream readers drain what was delivered.
	<-acceptDone
	p.readers.Wait()
	res.mu.Lock()
	res.shutdown = conn.endReason()
	res.mu.Unlock()
	if n := atomic.LoadInt64(&conn.badCRC); n > 0 {
		fmt.Fprintf(os.Stderr, "pion-peer: dropped %d packets with a bad CRC32c\n", n)
	}
	res.finish(o, "")
}

func max(a, b int) int {
	if a > b {
		return a
	}
	return b
}
