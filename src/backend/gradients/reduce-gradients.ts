// Gradients of Mean and Sum that broadcast dy on the device. tfjs-core's defaults multiply by
// ones(x.shape), which is built on the CPU and uploaded at every step; the values are identical.
import * as tf from '@tensorflow/tfjs';

/** dy reshaped to x's rank with the reduced axes as 1, broadcast to x.shape (float32, like dy * ones). */
function broadcastDy(dy: tf.Tensor, x: tf.Tensor, axes: number[]): tf.Tensor {
  const keptShape = x.shape.slice();
  for (const axis of axes) keptShape[axis] = 1;
  const dy32 = dy.dtype === 'float32' ? dy : tf.cast(dy, 'float32');
  return tf.broadcastTo(tf.reshape(dy32, keptShape), x.shape);
}

function savedX(saved: tf.Tensor[]): tf.Tensor {
  const [x] = saved;
  if (x === undefined) throw new Error('reduce gradient: x was not saved');
  return x;
}

/** Replaces tfjs-core's Mean and Sum gradients (for every backend). */
export function registerDeviceReduceGradients(): void {
  tf.registerGradient({
    kernelName: tf.Mean,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = savedX(saved);
      const axes = tf.util.parseAxisParam((attrs as unknown as tf.MeanAttrs).axis, x.shape);
      const [, reduceShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
      const reduceSize = tf.util.sizeFromShape(reduceShape);
      return { x: () => tf.div(broadcastDy(dy as tf.Tensor, x, axes), reduceSize) };
    },
  });
  tf.registerGradient({
    kernelName: tf.Sum,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = savedX(saved);
      const axes = tf.util.parseAxisParam((attrs as unknown as tf.SumAttrs).axis, x.shape);
      return { x: () => broadcastDy(dy as tf.Tensor, x, axes) };
    },
  });
}
