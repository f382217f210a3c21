// What every data set reader returns: uint8 images and labels for a train and a test split.

/** One split (train or test) of a data set, example-major. */
export interface Split {
  /** Pixels 0..255, layout [n, height, width, channels]. */
  images: Uint8Array;
  /** Class of each example, 0..numClasses-1 (the observed label, noise included). */
  labels: Int32Array;
  /** Ground-truth subpopulation of each example, where the data set knows it (synthetic-longtail). */
  subpopulations?: Int32Array;
  /** Coarse (super-class) label of each example, where the data set has one (CIFAR-100). */
  coarseLabels?: Int32Array;
}

/** A loaded data set. */
export interface Dataset {
  /** Registry name, e.g. "cifar100". */
  name: string;
  /** [height, width, channels] of one image. */
  imageShape: [number, number, number];
  numClasses: number;
  train: Split;
  test: Split;
  /** sha256 (hex) of the source files, or of the generator's parameters for generated data. */
  fingerprint: string;
}

/** Number of examples in a split. */
export function splitSize(split: Split): number {
  return split.labels.length;
}
