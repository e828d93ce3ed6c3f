import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const PROTO_DIR = fileURLToPath(new URL('../proto/', import.meta.url));

/** The protobuf message types the gateway reads and writes, loaded once from proto/. */
export interface ProtocolSchemas {
  readonly writeRequest: protobuf.Type;
  readonly exportRequest: protobuf.Type;
  readonly exportResponse: protobuf.Type;
  readonly status: protobuf.Type;
}

export function loadProtocolSchemas(): ProtocolSchemas {
  const root = protobuf.loadSync([`${PROTO_DIR}remote-write.proto`, `${PROTO_DIR}otlp-metrics.proto`]);
  return {
    writeRequest: root.lookupType('ringtail.remotewrite.WriteRequest'),
    exportRequest: root.lookupType('ringtail.otlp.ExportMetricsServiceRequest'),
    exportResponse: root.lookupType('ringtail.otlp.ExportMetricsServiceResponse'),
    status: root.lookupType('ringtail.otlp.Status'),
  };
}
