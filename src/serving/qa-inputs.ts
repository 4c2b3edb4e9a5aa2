/**
 * The question-answering pipeline's inputs and knobs as pgml.transform receives them: each input
 * a JSON string `{"question": ..., "context": ...}`, args in the pipeline's names.
 */
import type { QaInput } from '../../engine/qa/answer.js';
import type { AnswerRequest } from '../../engine/worker/protocol.js';
import { ProxyError } from '../../proxy/errors.js';
import type { JsonValue } from '../../proxy/protocol/pg-types.js';

export function qaInputs(inputs: readonly string[]): QaInput[] {
  return inputs.map((input, i) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      parsed = null;
    }
    const { question, context } = (parsed ?? {}) as { question?: unknown; context?: unknown };
    if (typeof question !== 'string' || typeof context !== 'string') {
      throw new ProxyError({
        severity: 'ERROR',
        code: '22023',
        message: `pgml.transform: question-answering input ${i + 1} must be a JSON object {"question": "...", "context": "..."}`,
        detail: `Got: ${input.length > 200 ? `${input.slice(0, 200)}…` : input}`,
      });
    }
    return { question, context };
  });
}

/** The pipeline's defaults: 384-token windows, stride 128, answers up to 15 tokens, always a span. */
export function qaSettings(args: JsonValue): AnswerRequest {
  const settings = { maxLength: null as number | null, stride: 128, maxAnswerLength: 15, allowNoAnswer: false, batchSize: 16 };
  if (args === null) return settings;
  if (typeof args !== 'object' || Array.isArray(args)) throw new ProxyError({ severity: 'ERROR', code: '22023', message: 'pgml.transform: args must be a JSON object' });
  for (const [key, value] of Object.entries(args)) {
    const whole = (): number => {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new ProxyError({ severity: 'ERROR', code: '22023', message: `pgml.transform: ${key} must be a whole number ≥ 1` });
      return value;
    };
    if (key === 'max_seq_len') settings.maxLength = whole();
    else if (key === 'doc_stride') settings.stride = whole();
    else if (key === 'max_answer_len') settings.maxAnswerLength = whole();
    else if (key === 'handle_impossible_answer' && typeof value === 'boolean') settings.allowNoAnswer = value;
    else {
      throw new ProxyError({
        severity: 'ERROR',
        code: '22023',
        message: `pgml.transform: "${key}" is not a question-answering setting here`,
        hint: 'Settings: max_seq_len, doc_stride, max_answer_len, handle_impossible_answer.',
      });
    }
  }
  return settings;
}
