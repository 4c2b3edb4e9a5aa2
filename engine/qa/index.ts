export { QaError, type Span, type Window } from './types.js';
export { qaWindows, stripQuestion, windowRanges, type WindowOptions } from './windows.js';
export { findMismatch, parseAnswers, positionsIn, windowLabels, type Positions, type QaAnswers, type WindowLabels } from './labels.js';
export { answerProbabilities, decodeAnswer, topIndices, type AnswerOptions, type Logits, type QaAnswer, type WindowLogits } from './decode.js';
export { readWindowLogits } from './logits.js';
export { codePointIndex, utf16Index } from './chars.js';
