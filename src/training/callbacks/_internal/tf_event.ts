/**
 * TensorBoard event files, written by hand: the few protobuf messages a scalar log needs and the
 * TFRecord framing around each. A hand encoder (about 60 lines) instead of a protobuf library keeps
 * the runtime dependency-free and browser-safe; the test decodes these bytes with protobufjs from
 * the .proto text and checks every CRC with another CRC-32C implementation.
 *
 * The messages (tensorflow/core/util/event.proto, tensorflow/core/framework/summary.proto):
 *
 *   message Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
 *   message Summary { repeated Value value = 1; }
 *   message Value   { string tag = 1; float simple_value = 2; }
 *
 * TFRecord framing of each serialized Event (tensorflow/core/lib/io/record_writer.cc):
 *
 *   uint64 length (little-endian) · uint32 masked_crc32c(length bytes) · data · uint32 masked_crc32c(data)
 */
import { maskedCrc32c } from "./crc32c.js";

const encoder = new TextEncoder();

/** Appends protobuf wire-format pieces to a growing byte list. */
class ProtoWriter {
  private readonly bytes: number[] = [];

  varint(value: number): this {
    // Non-negative integers below 2^53 (steps, lengths).
    let v = value;
    while (v >= 0x80) {
      this.bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.bytes.push(v);
    return this;
  }

  private key(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  double(field: number, value: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, true);
    this.key(field, 1).bytes.push(...b);
    return this;
  }

  float(field: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.key(field, 5).bytes.push(...b);
    return this;
  }

  int(field: number, value: number): this {
    return this.key(field, 0).varint(value);
  }

  message(field: number, body: Uint8Array): this {
    this.key(field, 2).varint(body.length).bytes.push(...body);
    return this;
  }

  string(field: number, value: string): this {
    return this.message(field, encoder.encode(value));
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** One scalar of a summary. */
export interface Scalar {
  tag: string;
  value: number;
}

/** The first event of every file: `file_version: "brain.Event:2"`. */
export function fileVersionEvent(wallTime: number): Uint8Array {
  return new ProtoWriter().double(1, wallTime).string(3, "brain.Event:2").finish();
}

/** An Event holding scalar summaries at `step`. */
export function scalarEvent(wallTime: number, step: number, scalars: readonly Scalar[]): Uint8Array {
  const summary = new ProtoWriter();
  for (const s of scalars) summary.message(1, new ProtoWriter().string(1, s.tag).float(2, s.value).finish());
  const event = new ProtoWriter().double(1, wallTime);
  if (step !== 0) event.int(2, step); // proto3: a zero is not written
  return event.message(5, summary.finish()).finish();
}

/** `data` framed as one TFRecord. */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length % 2 ** 32, true);
  view.setUint32(4, Math.floor(data.length / 2 ** 32), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}
