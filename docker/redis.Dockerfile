# The change bus between TS replicas (compose.yaml's `redis`): Redis pub/sub only, nothing stored, so
# nothing saved to disk.
FROM redis:7-alpine
CMD ["redis-server", "--save", "", "--appendonly", "no"]
