// The contract between model builders and the trainer: a pure function from a spec to a tf.LayersModel.
import type * as tf from '@tensorflow/tfjs';

/** Everything a network builder may depend on. */
export interface NetworkSpec {
  /** [height, width, channels] of one input image. */
  inputShape: [number, number, number];
  numClasses: number;
  /** Non-zero seed; builders derive one distinct non-zero seed per initializer from it (see init.ts). */
  seed: number;
  /** SGD weight decay; builders put an l2 regularizer of weightDecay / 2 on every kernel. */
  weightDecay: number;
}

/** Builds an untrained network that maps [batch, h, w, c] float32 images to [batch, numClasses] logits. */
export type NetworkBuilder = (spec: NetworkSpec) => tf.LayersModel;
