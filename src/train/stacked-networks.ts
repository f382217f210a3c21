// K networks of one sequential architecture (mlp, cnn, the linear probe's classifier) trained as one
// computation: each dense layer's weights stacked along a model axis ([K, d, u], one batched product for all
// K models); a conv layer keeps one filter bank per model, each applied to its model's rows; pooling and
// flattening run on all rows at once. Activations are [K * b, ...], model k's rows k*b..(k+1)*b. Each model
// starts from the weights its builder gave it, so network k computes what it would alone.
import * as tf from '@tensorflow/tfjs';
import type { Networks } from './networks.js';

type Activation = 'relu' | 'linear';

/** A layer of the stack: its forward pass on stacked ([K * b, ...]) or shared ([b, ...], the same rows for every model) input. */
type StackedLayer =
  | { kind: 'dense'; kernel: tf.Variable; bias: tf.Variable | null; activation: Activation; l2: number } // kernel [K, d, u], bias [K, 1, u]
  | { kind: 'conv'; kernels: tf.Variable[]; biases: (tf.Variable | null)[]; strides: [number, number]; padding: 'same' | 'valid'; activation: Activation; l2: number } // one [kh, kw, c, f] per model
  | { kind: 'maxPool'; poolSize: [number, number]; strides: [number, number]; padding: 'same' | 'valid' }
  | { kind: 'flatten' };

/** The tfjs-layers settings a stacked layer reads (from Layer.getConfig()). */
interface LayerSettings {
  activation?: string;
  useBias?: boolean;
  kernelRegularizer?: { className: string; config: { l1?: number; l2?: number } } | null;
  strides?: number[];
  padding?: string;
  poolSize?: number[];
  dilationRate?: number[];
  dataFormat?: string;
}

const STACKABLE = ['InputLayer', 'Flatten', 'Dense', 'Conv2D', 'MaxPooling2D'];

/** Why `model` cannot be stacked, or undefined when it can: sequential flatten, dense, conv2d and max-pool
 * layers in channels-last layout with relu or linear activations and l2-only kernel regularizers. */
export function whyNotStackable(model: tf.LayersModel): string | undefined {
  if (!(model instanceof tf.Sequential)) return `${model.name} is not a sequential model`;
  for (const layer of model.layers) {
    const name = layer.getClassName();
    if (!STACKABLE.includes(name)) return `its ${name} layer ${layer.name} has no stacked form (stacked: ${STACKABLE.join(', ')})`;
    const c = layer.getConfig() as LayerSettings;
    if (c.activation !== undefined && c.activation !== 'relu' && c.activation !== 'linear') return `layer ${layer.name} uses activation ${c.activation}`;
    if (c.dataFormat !== undefined && c.dataFormat !== 'channelsLast') return `layer ${layer.name} is ${c.dataFormat}`;
    if (c.dilationRate?.some((d) => d !== 1)) return `layer ${layer.name} is dilated`;
    if (c.padding !== undefined && c.padding !== 'same' && c.padding !== 'valid') return `layer ${layer.name} has padding ${c.padding}`;
    if ((c.kernelRegularizer?.config.l1 ?? 0) !== 0) return `layer ${layer.name} has an l1 regularizer`;
    const rank = name === 'Dense' ? (layer.input as tf.SymbolicTensor).shape.length : 2;
    if (rank !== 2) return `dense layer ${layer.name} takes rank-${rank} input (stacked: rank 2)`;
  }
  return undefined;
}

const pairOf = (values: number[] | undefined, name: string): [number, number] => {
  const [h, w] = values ?? [];
  if (h === undefined || w === undefined) throw new Error(`expected a pair for ${name}`);
  return [h, w];
};

/** A variable holding what `make` computes (its intermediates freed). */
function variableOf(make: () => tf.Tensor): tf.Variable {
  const value = tf.tidy(make);
  const variable = tf.variable(value); // shares value's data
  value.dispose();
  return variable;
}

/** A layer's activation, applied after its bias as tfjs-layers does. */
const activate = (x: tf.Tensor, activation: Activation): tf.Tensor => (activation === 'relu' ? tf.relu(x) : x);

export class StackedNetworks implements Networks {
  readonly count: number;
  private readonly layers: StackedLayer[];

  /** Copies the weights of `models` (one architecture, checked with whyNotStackable); the caller keeps and disposes them. */
  constructor(models: tf.LayersModel[]) {
    const first = models[0];
    if (!first) throw new Error('StackedNetworks needs at least one model');
    const why = whyNotStackable(first);
    if (why) throw new Error(`cannot stack ${first.name}: ${why}`);
    this.count = models.length;
    this.layers = first.layers.flatMap((layer, i): StackedLayer[] => {
      const c = layer.getConfig() as LayerSettings;
      const weightsOf = (w: number): tf.Tensor[] => models.map((m) => m.layers[i]!.getWeights()[w]!);
      const activation = (c.activation ?? 'linear') as Activation;
      const l2 = c.kernelRegularizer?.config.l2 ?? 0;
      switch (layer.getClassName()) {
        case 'Dense': {
          const kernel = variableOf(() => tf.stack(weightsOf(0))); // [K, d, u]
          const bias = c.useBias ? variableOf(() => tf.stack(weightsOf(1)).expandDims(1)) : null; // [K, 1, u]
          return [{ kind: 'dense', kernel, bias, activation, l2 }];
        }
        case 'Conv2D': {
          const kernels = weightsOf(0).map((w) => tf.variable(w));
          const biases = c.useBias ? weightsOf(1).map((b) => tf.variable(b)) : kernels.map(() => null);
          return [{ kind: 'conv', kernels, biases, strides: pairOf(c.strides, 'strides'), padding: c.padding as 'same' | 'valid', activation, l2 }];
        }
        case 'MaxPooling2D':
          return [{ kind: 'maxPool', poolSize: pairOf(c.poolSize, 'poolSize'), strides: pairOf(c.strides, 'strides'), padding: c.padding as 'same' | 'valid' }];
        case 'Flatten':
          return [{ kind: 'flatten' }];
        default:
          return []; // InputLayer
      }
    });
  }

  /** Every trainable variable, for the optimizer. */
  get variables(): tf.Variable[] {
    return this.layers.flatMap((l) => {
      if (l.kind === 'dense') return l.bias ? [l.kernel, l.bias] : [l.kernel];
      if (l.kind === 'conv') return [...l.kernels, ...l.biases.filter((b): b is tf.Variable => b !== null)];
      return [];
    });
  }

  trainingLogits(x: tf.Tensor): tf.Tensor2D {
    return this.forward(x, false) as tf.Tensor2D;
  }

  predictLogits(x: tf.Tensor): tf.Tensor3D {
    const logits = this.forward(x, true); // [K * s, classes]
    return logits.reshape([this.count, x.shape[0], -1]);
  }

  penalty(): tf.Scalar | null {
    const terms = this.layers.flatMap((l) => {
      if ((l.kind !== 'dense' && l.kind !== 'conv') || l.l2 === 0) return [];
      const kernels = l.kind === 'dense' ? [l.kernel] : l.kernels;
      return kernels.map((w) => tf.mul(l.l2, tf.sum(tf.square(w))));
    });
    return terms.length > 0 ? (tf.addN(terms) as tf.Scalar) : null;
  }

  dispose(): void {
    tf.dispose(this.variables);
  }

  /** Logits [K * s, classes]; `shared` input x [s, ...] is every model's, else x is [K * s, ...]. */
  private forward(input: tf.Tensor, shared: boolean): tf.Tensor {
    const K = this.count;
    let x = input;
    let isShared = shared;
    for (const layer of this.layers) {
      switch (layer.kind) {
        case 'flatten':
          x = x.reshape([x.shape[0], -1]);
          break;
        case 'maxPool':
          x = tf.maxPool(x as tf.Tensor4D, layer.poolSize, layer.strides, layer.padding);
          break;
        case 'dense': {
          const [, d, u] = layer.kernel.shape as [number, number, number];
          // Shared rows [s, d] as [1, s, d] broadcast against all K kernels; else network k's rows.
          let y = tf.matMul(isShared ? x.expandDims(0) : x.reshape([K, -1, d]), layer.kernel); // [K, rows, u]
          if (layer.bias) y = y.add(layer.bias);
          x = activate(y, layer.activation).reshape([-1, u]);
          isShared = false;
          break;
        }
        case 'conv': {
          const conv = (input4: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor | null): tf.Tensor4D =>
            tf.fused.conv2d({ x: input4, filter, strides: layer.strides, pad: layer.padding, ...(bias && { bias }), activation: layer.activation });
          // Network k convolves rows k*b..(k+1)*b, or all the shared rows (no transposes: wasm's are slow).
          const parts = isShared ? layer.kernels.map(() => x as tf.Tensor4D) : tf.split<tf.Tensor4D>(x, K, 0);
          x = tf.concat(parts.map((part, k) => conv(part, layer.kernels[k] as tf.Tensor4D, layer.biases[k] ?? null)));
          isShared = false;
          break;
        }
      }
    }
    if (isShared) throw new Error('a stacked network needs at least one dense or conv layer');
    return x;
  }
}
