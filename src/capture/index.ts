// Capture I/O: streaming pcap / pcapng reader and writer over the batch ABI.
export { CaptureBatch, KIND_EPB, KIND_PB, KIND_PCAP, KIND_SPB } from './batch.js';
export { CaptureFormatError } from './errors.js';
export { linkTypeDescription, linkTypeFromName, linkTypeName } from './linktypes.js';
export { openCaptureReader, type CaptureInterface, type CaptureReader } from './reader.js';
export { formatFromPath, openCaptureWriter, type CaptureWriter, type CaptureWriterOptions } from './writer.js';
