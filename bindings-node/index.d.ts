// The one TypeScript API of anysctp, shared by the Node package (napi-rs) and
// the WebAssembly package (wasm-bindgen). Both packages' index.d.ts are this
// file; bindings-js/test/types.ts checks that both satisfy it.

/** Milliseconds on a monotonic clock (e.g. `performance.now()`). */
export type Millis = number;
/** A transport address: `"ip:port"`, IPv6 as `"[ip]:port"`. */
export type Address = string;
/** Association id within its Endpoint. */
export type AssociationId = number;

/** Settings of one association. Times in milliseconds. */
export interface AssociationOptions {
  /** Outbound streams requested (1..65535, default 10). */
  outboundStreams?: number;
  /** Inbound streams accepted (1..65535, default 65535). */
  maxInboundStreams?: number;
  rtoInitial?: number;
  rtoMin?: number;
  rtoMax?: number;
  maxInitRetransmits?: number;
  /** Upper limit of the INIT / COOKIE ECHO retransmission timeout (default: rtoMax). */
  maxInitTimeout?: number;
  maxAssociationRetransmits?: number;
  /** Path.Max.Retrans: a path is unreachable after this many consecutive timeouts plus one (default 5). */
  maxPathRetransmits?: number;
  /**
   * SCTP-PF (RFC 7829): traffic leaves a path as soon as its error counter
   * exceeds this (default 0: on the first timeout); `null` turns SCTP-PF off.
   * Must be below `maxPathRetransmits`.
   */
  pfMaxRetrans?: number | null;
  /** Heartbeat interval; `null` disables heartbeats. */
  heartbeatInterval?: number | null;
  /** Delayed SACK timeout, at most 500. */
  sackDelay?: number;
  /** Path MTU for SCTP packets (default 1200). */
  mtu?: number;
  /** Largest message sent or accepted (default 256 KiB). */
  maxMessageSize?: number;
  /** Advertised receive window in bytes. */
  receiveBuffer?: number;
  /** Most bytes queued for sending; `send` throws ERR_SCTP_WOULD_BLOCK beyond it. */
  sendBuffer?: number;
  nodelay?: boolean;
  iData?: boolean;
  partialReliability?: boolean;
  /** Offer stream reconfiguration, RFC 6525 (default true). */
  reconfig?: boolean;
  /** Offer dynamic address reconfiguration, RFC 5061 ASCONF (default true); used only with `auth` on both sides. */
  asconf?: boolean;
  /** SCTP-AUTH (RFC 4895): `true` for the defaults, or the settings; off by default. */
  auth?: boolean | AuthOptions | null;
}

/** SCTP-AUTH settings (RFC 4895). */
export interface AuthOptions {
  /** Chunk types accepted only when authenticated, e.g. `[0]` for DATA (not 1, 2, 14, 15). */
  chunks?: number[];
  /** HMAC algorithms, most preferred first; must include "sha1" (default ["sha256", "sha1"]). */
  hmacAlgorithms?: ("sha1" | "sha256")[];
}

export type ReconfigResult = "success" | "denied" | "failed";

export interface StreamsResetEventInit {
  /** "outgoing": the answer to resetStreams; "incoming": the peer reset its streams (numbering restarts at 0). */
  direction: "incoming" | "outgoing";
  /** Stream ids; empty means all streams. */
  streams: number[];
  result: ReconfigResult;
}
export interface StreamsAddedEventInit {
  /** The counts now in force. */
  outboundStreams: number;
  inboundStreams: number;
  result: ReconfigResult;
}
export interface AssociationResetEventInit {
  /** The TSN our next DATA chunk carries. */
  localTsn: number;
  /** The TSN the peer's next DATA chunk carries. */
  remoteTsn: number;
  /** "success": both directions' TSNs and every stream's numbering restarted (messages the peer sent before came first); otherwise nothing was reset. */
  result: ReconfigResult;
}
export interface AuthenticationEventInit {
  /** The shared key id concerned (0 for "no-auth"). */
  keyId: number;
  /** "new-key": the peer used it first; "free-key": a deactivated key may be deleted; "no-auth": the peer has no SCTP-AUTH. */
  indication: "new-key" | "free-key" | "no-auth" | "other";
}
export interface AddressRequestResultEventInit {
  request: "add-local" | "remove-local" | "set-peer-primary" | "other";
  /** Our IP address concerned. */
  address: string;
  outcome: "accepted" | "refused" | "unsupported" | "other";
  /** The error cause code when refused, else null. */
  causeCode: number | null;
  /** Why it was refused ("" otherwise). */
  reason: string;
}

export interface ResetStreamsOptions {
  /** "outgoing" (default): ours; "incoming": ask the peer to reset the streams it sends on (empty list: all); "both". */
  direction?: "outgoing" | "incoming" | "both";
}

export interface ReconfigPolicy {
  acceptStreamReset?: boolean;
  acceptAddStreams?: boolean;
  maxOutboundStreams?: number;
  /** Let the peer reset the association's TSNs (RFC 6525 SSN/TSN Reset; default false). */
  acceptSsnTsnReset?: boolean;
}

export interface EndpointOptions {
  /** SCTP port of the endpoint (the common header's port; default 5000). */
  port?: number;
  /** Accept incoming associations (a listening endpoint). */
  acceptIncoming?: boolean;
  maxAssociations?: number;
  /** 32 bytes feeding every random choice; default from crypto.getRandomValues. */
  seed?: Uint8Array;
  /** Settings of accepted associations. */
  association?: AssociationOptions;
}

export interface ConnectOptions extends AssociationOptions {
  /** The peer's SCTP port (default 5000). */
  port?: number;
}

export interface SendOptions {
  /** Stream id (default 0). */
  stream?: number;
  /** Payload protocol identifier (default 53, or 51 for strings: RFC 8831). */
  ppid?: number;
  /** Deliver as it arrives, not in stream order. */
  unordered?: boolean;
  /** Partial reliability: give up after this many milliseconds. */
  maxPacketLifeTime?: number;
  /** Partial reliability: give up after this many retransmissions. */
  maxRetransmits?: number;
}

/** Bytes a send accepts; strings are sent as UTF-8. */
export type MessageData = Uint8Array | ArrayBuffer | ArrayBufferView | string;

export interface Transmit {
  destination: Address;
  data: Uint8Array;
}

export interface ReceivedMessage {
  stream: number;
  ppid: number;
  unordered: boolean;
  data: Uint8Array;
}

export type CloseReason = "shutdown" | "peer-aborted" | "locally-aborted" | "timeout" | "setup-failed" | "other";

export type EndpointEvent =
  | { type: "open"; association: AssociationId; outboundStreams: number; inboundStreams: number }
  | ({ type: "message"; association: AssociationId } & ReceivedMessage)
  | { type: "sendfailed"; association: AssociationId; stream: number; ppid: number; reason: "abandoned" | "closed" | "other"; data: Uint8Array }
  | { type: "error"; association: AssociationId; message: string }
  | { type: "peeraddresschange"; association: AssociationId; address: Address; state: string }
  | { type: "close"; association: AssociationId; reason: CloseReason; message: string }
  | ({ type: "streamsreset"; association: AssociationId } & StreamsResetEventInit)
  | ({ type: "streamsadded"; association: AssociationId } & StreamsAddedEventInit)
  | ({ type: "associationreset"; association: AssociationId } & AssociationResetEventInit)
  | ({ type: "authentication"; association: AssociationId } & AuthenticationEventInit)
  | ({ type: "addressrequestresult"; association: AssociationId } & AddressRequestResultEventInit)
  | { type: "restart" | "shutdown" | "senderdry" | "bufferedamountlow" | "other"; association: AssociationId };

export interface PathStats {
  address: Address;
  state: "unconfirmed" | "active" | "potentially-failed" | "inactive";
  primary: boolean;
  /** Smoothed RTT in ms, null before the first measurement. */
  srtt: number | null;
  rttvar: number | null;
  rto: number;
  cwnd: number;
  ssthresh: number;
  bytesInFlight: number;
  errorCount: number;
  mtu: number;
}

export interface AssociationStats {
  state: string;
  outboundStreams: number;
  inboundStreams: number;
  peerRwnd: number;
  bufferedAmount: number;
  bytesInFlight: number;
  retransmissions: number;
  fastRetransmissions: number;
  timeouts: number;
  packetsSent: number;
  packetsReceived: number;
  messagesSent: number;
  messagesReceived: number;
  bytesAcked: number;
  bytesReceived: number;
  paths: PathStats[];
}

/**
 * The sans-IO endpoint, for hosts that bring their own transport (a DTLS
 * stack, a WebSocket, a worker's MessagePort). Feed it datagrams and time;
 * take datagrams, deadlines and events. Errors: TypeError (wrong argument
 * type), RangeError (value out of range), Error with `.code`
 * (`ERR_SCTP_WOULD_BLOCK`, `ERR_SCTP_NO_SUCH_ASSOCIATION`, ...).
 */
export declare class Endpoint {
  constructor(options?: EndpointOptions);
  connect(now: Millis, addresses: Address | Address[], options?: ConnectOptions): AssociationId;
  handleDatagram(now: Millis, from: Address, data: Uint8Array | ArrayBuffer | ArrayBufferView): void;
  pollTransmit(now: Millis): Transmit | null;
  /**
   * Batch form of handleDatagram: many datagrams from one address in one
   * call into the core, with the same effect as handleDatagram on each in
   * order with the endpoint's output polled after each one: what the
   * endpoint sends in answer to each datagram (a SACK every second packet,
   * a burst per SACK) is kept, in order, for the next pollTransmit(s).
   * TypeError for an argument that is not an array of bytes.
   */
  handleDatagrams(now: Millis, from: Address, datagrams: ReadonlyArray<Uint8Array | ArrayBuffer | ArrayBufferView>): void;
  /**
   * Batch form of pollTransmit: every datagram ready to go now, in order (an
   * empty array when none). Each `data` is a view into a buffer shared with
   * the other datagrams of the batch: send or copy the view, never
   * `data.buffer` (do not transfer it).
   */
  pollTransmits(now: Millis): Transmit[];
  pollTimeout(): Millis | null;
  handleTimeout(now: Millis): void;
  pollEvent(): EndpointEvent | null;
  /**
   * Batch form of pollEvent: every pending event, in order (an empty array
   * when none). Message payloads are views into a buffer shared with the
   * other events of the batch (use `data`, not `data.buffer`).
   */
  pollEvents(): EndpointEvent[];
  send(now: Millis, association: AssociationId, data: MessageData, options?: SendOptions): void;
  shutdown(now: Millis, association: AssociationId): void;
  abort(now: Millis, association: AssociationId, reason?: string): void;
  stats(association: AssociationId): AssociationStats | null;
  state(association: AssociationId): string | null;
  bufferedAmount(association: AssociationId): number;
  setBufferedAmountLowThreshold(association: AssociationId, bytes: number): void;
  associations(): AssociationId[];
  peerAddresses(association: AssociationId): Address[] | null;
  setPrimary(association: AssociationId, address: Address): void;
  /**
   * Resets our outgoing streams (RFC 6525): their numbering restarts at 0
   * once the peer agrees; a "streamsreset" event brings the answer. Throws
   * ERR_SCTP_RECONFIG_UNAVAILABLE, ERR_SCTP_RECONFIG_IN_PROGRESS (one
   * request at a time) or RangeError ERR_SCTP_INVALID_RECONFIG.
   */
  resetStreams(now: Millis, association: AssociationId, streams: number[], options?: ResetStreamsOptions): void;
  /**
   * Resets both directions' TSNs and every stream's numbering (RFC 6525
   * SSN/TSN Reset); messages sent meanwhile wait; an "associationreset"
   * event brings the answer. The peer performs it only with
   * `acceptSsnTsnReset` in its policy. Errors as resetStreams.
   */
  resetAssociation(now: Millis, association: AssociationId): void;
  /** Asks for `count` more outbound streams and `options.incoming` more inbound ones; a "streamsadded" event per direction brings the answer. */
  addStreams(now: Millis, association: AssociationId, count: number, options?: { incoming?: number }): void;
  /** Which re-configuration requests of the peer are accepted from now on. */
  setReconfigPolicy(association: AssociationId, policy?: ReconfigPolicy): void;
  /** SCTP-AUTH keys; without `association`, the endpoint's keys (later associations start with them). Errors: ERR_SCTP_AUTH. */
  setAuthKey(keyId: number, secret: Uint8Array | ArrayBuffer | ArrayBufferView | string, association?: AssociationId): void;
  setActiveAuthKey(keyId: number, association?: AssociationId): void;
  activeAuthKey(association?: AssociationId): number;
  deactivateAuthKey(keyId: number, association?: AssociationId): void;
  deleteAuthKey(keyId: number, association?: AssociationId): void;
  /** Chunk types the peer wants authenticated (empty without SCTP-AUTH). */
  peerAuthChunks(association: AssociationId): number[];
  /** Chunk types we accept only authenticated. */
  localAuthChunks(association: AssociationId): number[];
  /** Adds one of this host's IP addresses (no port) at run time (RFC 5061); sent to peers while autoAsconf is on. */
  addLocalAddress(now: Millis, ip: string): void;
  /** Removes one of this host's IP addresses; never the last one. */
  removeLocalAddress(now: Millis, ip: string): void;
  localAddresses(): string[];
  /** Whether address changes are sent to peers as ASCONF (default true). */
  autoAsconf: boolean;
  /** Asks the peer to send to our IP address `ip` by preference (RFC 5061); an "addressrequestresult" event answers. */
  setPeerPrimary(now: Millis, association: AssociationId, ip: string): void;
}

export type StreamsResetEvent = Event & StreamsResetEventInit;
export type StreamsAddedEvent = Event & StreamsAddedEventInit;
export type AssociationResetEvent = Event & AssociationResetEventInit;
export type AuthenticationEvent = Event & AuthenticationEventInit;
export type AddressRequestResultEvent = Event & AddressRequestResultEventInit;

export declare class SctpMessageEvent extends Event implements ReceivedMessage {
  readonly stream: number;
  readonly ppid: number;
  readonly unordered: boolean;
  readonly data: Uint8Array;
}
export declare class SctpCloseEvent extends Event {
  readonly reason: CloseReason;
  readonly message: string;
}
export declare class SctpErrorEvent extends Event {
  readonly error: Error;
  readonly message: string;
}

export type ReadyState = "connecting" | "open" | "closing" | "closed";

export interface AssociationEventMap {
  open: Event;
  message: SctpMessageEvent;
  close: SctpCloseEvent;
  error: SctpErrorEvent;
  bufferedamountlow: Event;
  streamsreset: StreamsResetEvent;
  streamsadded: StreamsAddedEvent;
  associationreset: AssociationResetEvent;
  authentication: AuthenticationEvent;
  addressrequestresult: AddressRequestResultEvent;
}

/** One association, RTCDataChannel-style. */
export declare class Association extends EventTarget {
  readonly id: AssociationId;
  readonly readyState: ReadyState;
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  readonly outboundStreams: number;
  readonly inboundStreams: number;
  readonly remoteAddresses: Address[];
  readonly closeReason: CloseReason | null;
  /** Resolves with the close reason once closed. */
  readonly closed: Promise<CloseReason>;
  onopen: ((ev: Event) => void) | null;
  onmessage: ((ev: SctpMessageEvent) => void) | null;
  onclose: ((ev: SctpCloseEvent) => void) | null;
  onerror: ((ev: SctpErrorEvent) => void) | null;
  onbufferedamountlow: ((ev: Event) => void) | null;
  onstreamsreset: ((ev: StreamsResetEvent) => void) | null;
  onstreamsadded: ((ev: StreamsAddedEvent) => void) | null;
  onassociationreset: ((ev: AssociationResetEvent) => void) | null;
  onauthentication: ((ev: AuthenticationEvent) => void) | null;
  onaddressrequestresult: ((ev: AddressRequestResultEvent) => void) | null;
  addEventListener<K extends keyof AssociationEventMap>(type: K, listener: (ev: AssociationEventMap[K]) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  /** Throws ERR_SCTP_WOULD_BLOCK when the send buffer is full: wait for `bufferedamountlow`. */
  send(data: MessageData, options?: SendOptions): void;
  stats(): AssociationStats | null;
  /** Graceful shutdown; resolves once closed. */
  shutdown(): Promise<void>;
  close(): Promise<void>;
  abort(reason?: string): void;
  /**
   * Resets our outgoing `streams` (RFC 6525; how a WebRTC data channel
   * closes, RFC 8831 §6.7); a "streamsreset" event brings the answer.
   */
  resetStreams(streams: number[], options?: ResetStreamsOptions): void;
  /** Resets the association's TSNs and every stream's numbering; an "associationreset" event brings the answer. */
  resetAssociation(): void;
  /** Messages received from now on, ending when the association closes. */
  messages(): AsyncIterableIterator<ReceivedMessage>;
  [Symbol.asyncIterator](): AsyncIterableIterator<ReceivedMessage>;
}

/** Accepts associations; also an async iterator of them. */
export declare class Server extends EventTarget {
  /** The bound UDP address, or null for a caller-given transport. */
  readonly address: { address: string; port: number; family: string } | null;
  onassociation: ((ev: Event & { association: Association }) => void) | null;
  close(options?: { graceful?: boolean }): Promise<void>;
  [Symbol.asyncIterator](): AsyncIterableIterator<Association>;
}

/**
 * A datagram transport the caller brings: one SCTP packet per datagram.
 * `send` gets a view that may share its ArrayBuffer with other packets:
 * send or copy `data` itself, never `data.buffer`. What `onmessage` gets is
 * copied (the transport may reuse it once onmessage returns); datagrams that
 * arrive together are handled together, in the next microtask.
 */
export interface DatagramTransport {
  send(data: Uint8Array, destination: Address): void;
  onmessage: ((data: Uint8Array, from: Address) => void) | null;
  close(): void;
}

export interface TransportOptions {
  /** Bring your own transport (single path). */
  transport?: DatagramTransport;
  /** UDP: the peer's host (connect) or the address to bind (listen). */
  host?: string;
  /** UDP port: the peer's (connect) or the one to bind (listen); default 9899 (RFC 6951). */
  port?: number;
  /** The SCTP port (both ends; default 5000). */
  sctpPort?: number;
  localPort?: number;
  localAddress?: string;
  /** WebSocket URL (browser), e.g. of `anysctp listen --ws`: one SCTP packet per binary frame. */
  url?: string;
  seed?: Uint8Array;
}

export interface ConnectAssociationOptions extends TransportOptions, AssociationOptions {
  signal?: AbortSignal;
}

/** Opens an association; resolves when it is open, rejects (ERR_SCTP_CONNECT_FAILED) if setup fails. */
export declare function connect(options: ConnectAssociationOptions): Promise<Association>;
/** Starts accepting associations. */
export declare function listen(options?: TransportOptions & AssociationOptions): Promise<Server>;

/** WebSocket transport (one SCTP packet per binary frame). */
export declare class WebSocketTransport implements DatagramTransport {
  static connect(url: string): Promise<WebSocketTransport>;
  onmessage: ((data: Uint8Array, from: Address) => void) | null;
  send(data: Uint8Array): void;
  close(): void;
}

/**
 * A simulated link between two in-memory transports. Each direction is first
 * in, first out; the settings may be changed while running and apply to the
 * packets sent from then on.
 */
export interface Link {
  /** Loss probability 0..1. */
  loss: number;
  /** One-way delay in ms. */
  delay: number;
  /** Bytes (of SCTP packets) per second in each direction; 0 = unlimited. */
  bandwidth: number;
  /** Drop-tail queue in front of the bandwidth limit, in bytes; 0 = unbounded. */
  queue: number;
  /** Packets lost to `loss`. */
  readonly dropped: number;
  /** Packets dropped because the queue was full. */
  readonly overflowed: number;
  readonly delivered: number;
  readonly a: DatagramTransport;
  readonly b: DatagramTransport;
}
export interface LinkOptions {
  loss?: number;
  delay?: number;
  bandwidth?: number;
  queue?: number;
  /** Seed of the loss pattern (default 1). */
  seed?: number;
}
/**
 * Two in-memory transports joined by a simulated link (seeded loss, delay,
 * bandwidth limit with a drop-tail queue). RangeError for negative values or
 * a loss outside 0..1.
 */
export declare function createLink(options?: LinkOptions): Link;

export interface ParsedPacket {
  srcPort: number;
  dstPort: number;
  verificationTag: number;
  checksum: number;
  chunks: { type: number; flags: number; length: number }[];
}
/** Parses one SCTP packet (checksum verified, chunks framed); throws Error with code ERR_SCTP_MALFORMED_PACKET. */
export declare function parsePacket(data: Uint8Array | ArrayBuffer | ArrayBufferView): ParsedPacket;

/** Peer address used by single-path transports. */
export declare const SINGLE_PATH_ADDRESS: Address;
export declare const DEFAULT_UDP_PORT: 9899;
export declare const DEFAULT_SCTP_PORT: 5000;
