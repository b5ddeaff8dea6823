// A minimal ONNX ModelProto encoder (protobuf wire format written by hand): enough to build tiny
// graphs of standard operators, so tests run the real onnxruntime on models they make themselves,
// with no third-party weights. Field numbers are onnx.proto's (IR version 8, opset 13).

type Bytes = number[];

function varint(value: number | bigint): Bytes {
  let rest = BigInt.asUintN(64, BigInt(value));
  const out: Bytes = [];
  do {
    let byte = Number(rest & 0x7fn);
    rest >>= 7n;
    if (rest > 0n) byte |= 0x80;
    out.push(byte);
  } while (rest > 0n);
  return out;
}

const key = (field: number, wire: number) => varint((field << 3) | wire);
const intField = (field: number, value: number | bigint): Bytes => [...key(field, 0), ...varint(value)];
const bytesField = (field: number, bytes: Bytes | Uint8Array): Bytes => [
  ...key(field, 2),
  ...varint(bytes.length),
  ...bytes,
];
const stringField = (field: number, text: string) => bytesField(field, Array.from(Buffer.from(text, 'utf8')));

const ELEMENT_FLOAT = 1;
const ELEMENT_INT64 = 7;

export interface TensorValue {
  dims: number[];
  /** float32 values, or int64 values when `int64` is set. */
  values: readonly number[];
  int64?: boolean;
}

function tensorProto(name: string, tensor: TensorValue): Bytes {
  const raw = tensor.int64
    ? new Uint8Array(new BigInt64Array(tensor.values.map((value) => BigInt(value))).buffer)
    : new Uint8Array(new Float32Array(tensor.values).buffer);
  return [
    ...tensor.dims.flatMap((dim) => intField(1, dim)),
    ...intField(2, tensor.int64 ? ELEMENT_INT64 : ELEMENT_FLOAT),
    ...stringField(8, name),
    ...bytesField(9, raw),
  ];
}

export type Attribute = { ints: number[] } | { int: number } | { float: number } | { tensor: TensorValue };

function attributeProto(name: string, value: Attribute): Bytes {
  const head = stringField(1, name);
  if ('ints' in value)
    return [...head, ...value.ints.flatMap((item) => intField(8, item)), ...intField(20, 7)];
  if ('int' in value) return [...head, ...intField(3, value.int), ...intField(20, 2)];
  if ('float' in value) {
    const float = new Uint8Array(new Float32Array([value.float]).buffer);
    return [...head, ...key(2, 5), ...float, ...intField(20, 1)];
  }
  return [...head, ...bytesField(5, tensorProto('', value.tensor)), ...intField(20, 4)];
}

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, Attribute>;
}

function nodeProto(node: OnnxNode, index: number): Bytes {
  return [
    ...node.inputs.flatMap((input) => stringField(1, input)),
    ...node.outputs.flatMap((output) => stringField(2, output)),
    ...stringField(3, `node${index}`),
    ...stringField(4, node.op),
    ...Object.entries(node.attributes ?? {}).flatMap(([name, value]) =>
      bytesField(5, attributeProto(name, value)),
    ),
  ];
}

/** A float32 graph input or output of a fixed shape. */
function valueInfo(name: string, dims: number[]): Bytes {
  const shape = dims.flatMap((dim) => bytesField(1, intField(1, dim)));
  const tensorType = [...intField(1, ELEMENT_FLOAT), ...bytesField(2, shape)];
  return [...stringField(1, name), ...bytesField(2, bytesField(1, tensorType))];
}

export interface OnnxGraph {
  inputs: { name: string; dims: number[] }[];
  outputs: { name: string; dims: number[] }[];
  nodes: OnnxNode[];
  initializers?: Record<string, TensorValue>;
}

/** The serialised ModelProto of a graph (load it with InferenceSession.create(bytes) or a file). */
export function encodeOnnxModel(graph: OnnxGraph): Uint8Array {
  const graphBytes = [
    ...graph.nodes.flatMap((node, index) => bytesField(1, nodeProto(node, index))),
    ...stringField(2, 'faceshot-test-graph'),
    ...Object.entries(graph.initializers ?? {}).flatMap(([name, tensor]) =>
      bytesField(5, tensorProto(name, tensor)),
    ),
    ...graph.inputs.flatMap((input) => bytesField(11, valueInfo(input.name, input.dims))),
    ...graph.outputs.flatMap((output) => bytesField(12, valueInfo(output.name, output.dims))),
  ];
  const model = [
    ...intField(1, 8),
    ...stringField(2, 'faceshot-tests'),
    ...bytesField(7, graphBytes),
    ...bytesField(8, [...stringField(1, ''), ...intField(2, 13)]),
  ];
  return Uint8Array.from(model);
}
