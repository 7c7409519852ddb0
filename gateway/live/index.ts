/**
 * The generic parts of live updates, for any app: a registry of live connections (ceiling, heartbeats,
 * shutdown), server-sent event streams and WebSocket connections with bounded send buffers. What flows
 * through them (topics, events, catch-up) is the app's.
 */
export { createLiveRegistry, isQuiet, type LiveConnection, type LiveRegistry, type LiveRegistryOptions } from './registry.ts';
export { openSseStream, type SseCloseReason, type SseStream, type SseStreamOptions } from './sse.ts';
export { nodeResponseSink, readableStreamSink, type ByteSink } from './sink.ts';
export { CLOSE, createWebSocketEndpoint, type LiveSocket, type LiveSocketHandler, type WebSocketEndpoint, type WebSocketEndpointOptions } from './websocket.ts';
