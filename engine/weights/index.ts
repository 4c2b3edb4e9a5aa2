export type { WeightTensor, Weights } from './types.js';
export { encodeSafetensors, parseSafetensors, readSafetensors } from './safetensors.js';
export { parsePytorchBin, readPytorchBin } from './torch.js';
export { readCheckpoint, readPytorchBinIndex, readSafetensorsIndex } from './checkpoint.js';
export { halfToFloat } from './dtype.js';
