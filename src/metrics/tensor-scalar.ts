/**
 * The number in a scalar summary's tensor. TF2 writes `tensor_content` (raw
 * little-endian bytes, from `Tensor::AsProtoTensorContent`); other writers use
 * the typed `*_val` fields. DataType numbers: tensorflow/core/framework/types.proto.
 */

import type { TensorMessage } from './event-codec.ts';
import { int64ToNumber } from './event-codec.ts';

export const DATA_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'DT_INVALID',
  1: 'DT_FLOAT',
  2: 'DT_DOUBLE',
  3: 'DT_INT32',
  4: 'DT_UINT8',
  5: 'DT_INT16',
  6: 'DT_INT8',
  7: 'DT_STRING',
  8: 'DT_COMPLEX64',
  9: 'DT_INT64',
  10: 'DT_BOOL',
  14: 'DT_BFLOAT16',
  17: 'DT_UINT16',
  18: 'DT_COMPLEX128',
  19: 'DT_HALF',
  20: 'DT_RESOURCE',
  21: 'DT_VARIANT',
  22: 'DT_UINT32',
  23: 'DT_UINT64',
};

export const DT_FLOAT = 1;

interface NumericType {
  /** Bytes per element in `tensor_content`. */
  width: number;
  fromContent(content: Buffer): number;
  fromValues(tensor: TensorMessage): number | undefined;
}

/** IEEE 754 half precision (DT_HALF) from its 16 bits. */
export function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** bfloat16 (DT_BFLOAT16) from its 16 bits: the top half of a float32. */
export function bfloat16ToNumber(bits: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, (bits & 0xffff) << 16);
  return view.getFloat32(0);
}

const NUMERIC_TYPES: Readonly<Record<number, NumericType>> = {
  1: { width: 4, fromContent: (b) => b.readFloatLE(0), fromValues: (t) => t.floatVal[0] },
  2: { width: 8, fromContent: (b) => b.readDoubleLE(0), fromValues: (t) => t.doubleVal[0] },
  3: { width: 4, fromContent: (b) => b.readInt32LE(0), fromValues: (t) => t.intVal[0] },
  4: { width: 1, fromContent: (b) => b.readUInt8(0), fromValues: (t) => t.intVal[0] },
  5: { width: 2, fromContent: (b) => b.readInt16LE(0), fromValues: (t) => t.intVal[0] },
  6: { width: 1, fromContent: (b) => b.readInt8(0), fromValues: (t) => t.intVal[0] },
  9: {
    width: 8,
    fromContent: (b) => Number(b.readBigInt64LE(0)),
    fromValues: (t) => (t.int64Val[0] === undefined ? undefined : int64ToNumber(t.int64Val[0])),
  },
  10: {
    width: 1,
    fromContent: (b) => b.readUInt8(0),
    fromValues: (t) => (t.boolVal[0] === undefined ? undefined : Number(t.boolVal[0])),
  },
  14: {
    width: 2,
    fromContent: (b) => bfloat16ToNumber(b.readUInt16LE(0)),
    fromValues: (t) => (t.halfVal[0] === undefined ? undefined : bfloat16ToNumber(t.halfVal[0])),
  },
  17: { width: 2, fromContent: (b) => b.readUInt16LE(0), fromValues: (t) => t.intVal[0] },
  19: {
    width: 2,
    fromContent: (b) => halfToNumber(b.readUInt16LE(0)),
    fromValues: (t) => (t.halfVal[0] === undefined ? undefined : halfToNumber(t.halfVal[0])),
  },
  22: { width: 4, fromContent: (b) => b.readUInt32LE(0), fromValues: (t) => t.uint32Val[0] },
  23: {
    width: 8,
    fromContent: (b) => Number(b.readBigUInt64LE(0)),
    fromValues: (t) => (t.uint64Val[0] === undefined ? undefined : int64ToNumber(t.uint64Val[0])),
  },
};

export type TensorScalar = { ok: true; value: number } | { ok: false; problem: string };

function elementCount(tensor: TensorMessage): number {
  let count = 1;
  for (const dim of tensor.tensorShape?.dim ?? []) count *= int64ToNumber(dim.size);
  return count;
}

/** The single number a scalar tensor holds, or why it holds none. */
export function tensorScalar(tensor: TensorMessage): TensorScalar {
  const dtypeName = DATA_TYPE_NAMES[tensor.dtype] ?? `dtype ${tensor.dtype}`;
  const type = NUMERIC_TYPES[tensor.dtype];
  if (!type) return { ok: false, problem: `its tensor has dtype ${dtypeName}, not a number` };
  const count = elementCount(tensor);
  if (count !== 1) return { ok: false, problem: `its ${dtypeName} tensor has ${count} elements, not 1` };
  const content = tensor.tensorContent;
  if (content.length > 0) {
    if (content.length !== type.width) {
      return {
        ok: false,
        problem: `its ${dtypeName} tensor_content has ${content.length} bytes, not ${type.width}`,
      };
    }
    return {
      ok: true,
      value: type.fromContent(Buffer.from(content.buffer, content.byteOffset, content.byteLength)),
    };
  }
  const value = type.fromValues(tensor);
  if (value === undefined) return { ok: false, problem: `its ${dtypeName} tensor holds no value` };
  return { ok: true, value };
}
