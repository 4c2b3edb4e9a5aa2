/** Saving models in the Hugging Face folder layout, and loading such folders back by family. */
export { jsonFile, saveModel, type SaveFiles } from './save.js';
export { loadModelFromFiles, loadModelFromFolder, writeModelFiles, type EncoderModel, type LoadedModel } from './load.js';
