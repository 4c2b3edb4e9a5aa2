import { resolveAndRun, sendRows, type JobContext } from './call-runner.js';
import { ProxyError } from './errors.js';
import type { InterceptedCall, Interceptor, ResultRows } from './interceptor.js';
import { Backend, Frontend } from './protocol/codes.js';
import {
  BIND_COMPLETE,
  CLOSE_COMPLETE,
  decodeBind,
  decodeExecute,
  decodeRowDescription,
  decodeTarget,
  encodeRowDescription,
  formatsFor,
  NO_DATA,
  PARSE_COMPLETE,
  type BindMessage,
  type BoundParameters,
} from './protocol/extended.js';
import { decodeParse } from './protocol/frontend.js';
import type { Described } from './upstream-queries.js';

/** A job answers one client message on the proxy's behalf, once the upstream owes nothing. */
export type Job = (context: JobContext) => Promise<void> | void;

interface Statement {
  readonly call: InterceptedCall;
  readonly parameterTypes: readonly number[];
  readonly described: Described;
}

interface Portal {
  readonly statement: Statement;
  readonly parameters: BoundParameters;
  readonly formats: readonly number[];
  /** Computed by the first Execute; later Executes continue where the last one stopped. */
  rows: ResultRows | null;
  sent: number;
}

const PORTAL_SUSPENDED = Buffer.from([Backend.PortalSuspended, 0, 0, 0, 4]);

/**
 * The extended-query protocol for intercepted statements: the prepared statements and portals
 * the proxy owns (the upstream never hears of them), and the answers to Parse, Bind, Describe,
 * Execute and Close that target them. Everything else is relayed; its names stay the upstream's.
 */
export class ExtendedIntercepts {
  private readonly statements = new Map<string, Statement>();
  private readonly portals = new Map<string, Portal>();

  constructor(private readonly interceptor: Interceptor) {}

  /**
   * Decides one client message: null relays it as it is, a job answers it here. Parse is always
   * looked at (its text may call pgml); the others only while the proxy owns some names.
   */
  route(type: number, buf: Buffer, start: number, end: number): Job | null {
    if (type === Frontend.Parse) return this.routeParse(buf, start, end);
    if (this.statements.size === 0) return null;
    switch (type) {
      case Frontend.Bind:
        return this.routeBind(decodeBind(buf, start, end));
      case Frontend.Describe: {
        const target = decodeTarget(buf, start, end);
        if (target.kind === 'S') {
          const statement = this.statements.get(target.name);
          return statement === undefined ? null : (context) => describeStatement(statement, context);
        }
        const portal = this.portals.get(target.name);
        return portal === undefined ? null : (context) => describePortal(portal, context);
      }
      case Frontend.Execute: {
        const { portal: name, maxRows } = decodeExecute(buf, start, end);
        const portal = this.portals.get(name);
        return portal === undefined ? null : (context) => execute(portal, maxRows, context);
      }
      case Frontend.Close:
        return this.routeClose(buf, start, end);
      default:
        return null;
    }
  }

  /** A relayed simple Query destroys the unnamed statement and portal, as PostgreSQL does. */
  forgetUnnamed(): void {
    this.dropStatement('');
    this.portals.delete('');
  }

  /** At the end of a transaction every portal is gone; prepared statements live on. */
  transactionEnded(): void {
    this.portals.clear();
  }

  private routeParse(buf: Buffer, start: number, end: number): Job | null {
    const { statement: name, query, parameterTypes } = decodeParse(buf, start, end);
    const step = this.interceptor.planStatement(query);
    if (step === null) {
      if (!this.statements.has(name)) return null;
      if (name === '') {
        this.dropStatement(''); // a new unnamed statement replaces the intercepted one
        return null;
      }
      return () => {
        throw statementExists(name);
      };
    }
    return async (context) => {
      if (name !== '' && this.statements.has(name)) throw statementExists(name);
      if (step.kind === 'reject') throw step.error;
      const described = await context.upstream.describe(query, parameterTypes);
      this.dropStatement(name);
      this.statements.set(name, { call: step.call, parameterTypes, described });
      context.send(PARSE_COMPLETE);
    };
  }

  private routeBind(bind: BindMessage): Job | null {
    const statement = this.statements.get(bind.statement);
    if (statement === undefined) {
      if (bind.portal === '') this.portals.delete('');
      return null;
    }
    return (context) => {
      if (bind.portal !== '' && this.portals.has(bind.portal)) {
        throw protocolError('42P03', `portal "${bind.portal}" already exists`);
      }
      const required = parameterCount(statement.described);
      if (bind.values.length !== required) {
        throw protocolError('08P01', `bind message supplies ${bind.values.length} parameters, but prepared statement "${bind.statement}" requires ${required}`);
      }
      if (bind.formats.length > 1 && bind.formats.length !== required) {
        throw protocolError('08P01', `bind message has ${bind.formats.length} parameter formats but ${required} parameters`);
      }
      const formats = formatsFor(bind.resultFormats, columnCount(statement.described));
      if (formats === null) {
        throw protocolError('08P01', `bind message has ${bind.resultFormats.length} result formats but query has ${columnCount(statement.described)} columns`);
      }
      const unsupported = formats.find((format) => format !== 0 && format !== 1);
      if (unsupported !== undefined) throw protocolError('22023', `unsupported format code: ${unsupported}`);
      this.portals.set(bind.portal, { statement, parameters: bind, formats, rows: null, sent: 0 });
      context.send(BIND_COMPLETE);
    };
  }

  private routeClose(buf: Buffer, start: number, end: number): Job | null {
    const target = decodeTarget(buf, start, end);
    if (target.kind === 'S' ? !this.statements.has(target.name) : !this.portals.has(target.name)) return null;
    return (context) => {
      if (target.kind === 'S') this.dropStatement(target.name);
      else this.portals.delete(target.name);
      context.send(CLOSE_COMPLETE);
    };
  }

  /** Closing a statement closes the portals made from it. */
  private dropStatement(name: string): void {
    const statement = this.statements.get(name);
    if (statement === undefined) return;
    this.statements.delete(name);
    for (const [portalName, portal] of this.portals) if (portal.statement === statement) this.portals.delete(portalName);
  }
}

function describeStatement(statement: Statement, context: JobContext): void {
  context.send(statement.described.parameterDescription);
  context.send(statement.described.rowDescription ?? NO_DATA);
}

function describePortal(portal: Portal, context: JobContext): void {
  const row = portal.statement.described.rowDescription;
  if (row === null) {
    context.send(NO_DATA);
    return;
  }
  const fields = decodeRowDescription(row, 0, row.length).map((field, i) => ({ ...field, format: portal.formats[i] ?? 0 }));
  context.send(encodeRowDescription(fields));
}

async function execute(portal: Portal, maxRows: number, context: JobContext): Promise<void> {
  const { statement } = portal;
  portal.rows ??= await resolveAndRun(
    statement.call,
    statement.described,
    { parameterTypes: statement.parameterTypes, parameters: portal.parameters, formats: portal.formats },
    context,
  );
  const stop = maxRows > 0 ? Math.min(portal.sent + maxRows, portal.rows.length) : portal.rows.length;
  const batch = portal.rows.slice(portal.sent, stop);
  portal.sent = stop;
  if (maxRows > 0 && stop < portal.rows.length) {
    sendRows(batch, context, false);
    context.send(PORTAL_SUSPENDED);
  } else {
    sendRows(batch, context);
  }
}

function parameterCount(described: Described): number {
  return described.parameterDescription.length >= 7 ? described.parameterDescription.readInt16BE(5) : 0;
}

function columnCount(described: Described): number {
  return described.rowDescription === null ? 0 : described.rowDescription.readInt16BE(5);
}

function statementExists(name: string): ProxyError {
  return protocolError('42P05', `prepared statement "${name}" already exists`);
}

function protocolError(code: string, message: string): ProxyError {
  return new ProxyError({ severity: 'ERROR', code, message });
}
