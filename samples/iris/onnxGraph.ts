// A few helpers to write small ONNX models with onnx-proto (protobuf classes for ONNX 1.10).
// Used by train.ts for the Iris model, and by tests that need models of other shapes.
import { onnx } from 'onnx-proto';

export type ElemType = 'float' | 'double' | 'int64' | 'int32' | 'string';

const ELEM_TYPES: Record<ElemType, number> = {
  float: onnx.TensorProto.DataType.FLOAT,
  double: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  string: onnx.TensorProto.DataType.STRING,
};

/** A named tensor value: `shape` uses strings for symbolic dims (e.g. 'N' for the batch). */
export interface ValueSpec {
  name: string;
  type: ElemType;
  shape: (number | string)[];
}

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  /** Integer attributes only: that is all these small graphs need (axis, keepdims, to). */
  attrs?: Record<string, number>;
}

export interface FloatInitializer {
  name: string;
  dims: number[];
  values: number[];
}

export interface GraphSpec {
  name: string;
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  initializers?: FloatInitializer[];
  nodes: NodeSpec[];
  /** Default opset 15 (ONNX 1.10, the schema onnx-proto 8 was generated from). */
  opset?: number;
  producer?: string;
}

function valueInfo(v: ValueSpec): onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: ELEM_TYPES[v.type],
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** Serializes a model; the same spec always gives the same bytes. */
export function buildOnnxModel(spec: GraphSpec): Uint8Array {
  const model: onnx.IModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: spec.opset ?? 15 }],
    producerName: spec.producer ?? 'batch-endpoints-functions',
    graph: {
      name: spec.name,
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
      initializer: (spec.initializers ?? []).map((t) => ({
        name: t.name,
        dims: t.dims,
        dataType: onnx.TensorProto.DataType.FLOAT,
        floatData: t.values,
      })),
      node: spec.nodes.map((n, i) => ({
        name: `${n.op}_${i}`,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([name, i]) => ({
          name,
          type: onnx.AttributeProto.AttributeType.INT,
          i,
        })),
      })),
    },
  };
  return onnx.ModelProto.encode(model).finish();
}
