// A local HTTP server in the shape of Stripe's API, for tests and benchmarks on machines that
// cannot reach Stripe. The real `stripe` SDK points at it through its host/port/protocol options
// (the platform reads STRIPE_API_HOST/PORT/PROTOCOL). It checks what the real API requires:
// form-encoded bodies, integer amounts in the smallest currency unit, metadata of at most 50
// string values, and idempotency keys (a key replayed with another body is refused). It also
// plays the hosted Checkout page and sends webhooks signed with the SDK to the platform.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

type Obj = Record<string, unknown>;
type Form = { [key: string]: string | Form | Form[] | string[] };

export type RecordedRequest = { method: string; path: string; idempotencyKey: string | null; body: Form };

export type StripeStandIn = {
  url: string;
  host: string;
  port: number;
  /** Environment for a platform that should use this stand-in. */
  env: Record<string, string>;
  requests: RecordedRequest[];
  customers: Map<string, Obj>;
  sessions: Map<string, Obj>;
  paymentIntents: Map<string, Obj>;
  /** Where events go; set it once the platform's port is known. */
  setWebhookUrl(url: string): void;
  /** Pays an open Checkout Session as the hosted page would, sending its webhook unless told not to. */
  pay(sessionId: string, options?: { send?: boolean }): Promise<{ event: Obj; session: Obj }>;
  /** While on, the hosted Checkout page redirects at once and keeps its webhook until `releaseHeld`. */
  holdCheckoutWebhooks(on: boolean): void;
  releaseHeld(): Promise<Response[]>;
  /** Makes every later off-session payment of this customer fail with this decline code. */
  declineOffSession(customerId: string, code: string): void;
  /** A signed event, sent (default) or only built. */
  event(type: string, object: Obj, options?: { id?: string; send?: boolean; created?: number }): Promise<{ event: Obj; response: Response | null }>;
  /** POSTs a payload with the header given, or signed with the secret. */
  deliver(payload: string, header?: string): Promise<Response>;
  close(): Promise<void>;
};

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

class StripeApiError extends Error {
  constructor(
    public status: number,
    public body: Obj,
  ) {
    super(String(body.message));
  }
}
const invalid = (message: string, param?: string) => new StripeApiError(400, { type: 'invalid_request_error', message, ...(param ? { param } : {}) });

/** Stripe's form encoding: `a[b][0][c]=v` into nested objects and arrays. */
export function parseStripeForm(text: string): Form {
  const root: Form = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const parts = rawKey.replace(/\]/g, '').split('[');
    let node: Form | Form[] = root;
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      const container = node as unknown as Record<string, unknown>;
      if (last) {
        container[part] = value;
        return;
      }
      if (container[part] === undefined) container[part] = /^\d+$/.test(parts[i + 1]!) ? [] : {};
      node = container[part] as Form;
    });
  }
  return root;
}

function integer(form: Form, key: string, required = true): number | undefined {
  const value = form[key];
  if (value === undefined) {
    if (required) throw invalid(`Missing required param: ${key}.`, key);
    return undefined;
  }
  if (typeof value !== 'string' || !/^-?\d+$/.test(value)) throw invalid(`Invalid integer: ${String(value)}`, key);
  return Number(value);
}

function metadata(form: Form, key = 'metadata'): Record<string, string> {
  const value = form[key];
  if (value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid('Invalid metadata: must be a hash of strings.', key);
  const entries = Object.entries(value);
  if (entries.length > 50) throw invalid('Invalid metadata: at most 50 keys.', key);
  for (const [k, v] of entries) {
    if (typeof v !== 'string') throw invalid(`Invalid metadata[${k}]: values must be strings.`, `${key}[${k}]`);
    if (k.length > 40 || v.length > 500) throw invalid(`Invalid metadata[${k}]: keys up to 40 and values up to 500 characters.`, `${key}[${k}]`);
  }
  return value as Record<string, string>;
}

function currency(form: Form, key: string): string {
  const value = form[key];
  if (typeof value !== 'string' || !/^[a-z]{3}$/.test(value)) throw invalid(`Invalid currency: ${String(value)}.`, key);
  return value;
}

/** POSTs a webhook as Stripe does: the payload signed with the endpoint's secret (or the header given). */
export function deliverWebhook({ url, payload, secret, header, signer = new Stripe('sk_test_lathe_standin') }: { url: string; payload: string; secret: string; header?: string; signer?: Stripe }): Promise<Response> {
  const signature = header ?? signer.webhooks.generateTestHeaderString({ payload, secret });
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, body: payload });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startStripeStandIn(options: { webhookSecret: string; secretKey?: string; webhookUrl?: string }): Promise<StripeStandIn> {
  const secretKey = options.secretKey ?? 'sk_test_lathe_standin';
  const signer = new Stripe(secretKey);
  let webhookUrl = options.webhookUrl ?? '';
  const requests: RecordedRequest[] = [];
  const customers = new Map<string, Obj>();
  const sessions = new Map<string, Obj>();
  const paymentIntents = new Map<string, Obj>();
  const invoices: Obj[] = [];
  const declines = new Map<string, string>();
  const idempotency = new Map<string, { body: string; status: number; response: Obj }>();
  let base = '';
  let hold = false;
  const held: string[] = [];

  const deliver = (payload: string, header?: string) => deliverWebhook({ url: webhookUrl, payload, secret: options.webhookSecret, header, signer });

  async function event(type: string, object: Obj, opts: { id?: string; send?: boolean; created?: number } = {}) {
    const evt = { id: opts.id ?? id('evt'), object: 'event', api_version: '2025-01-01', created: opts.created ?? now(), livemode: false, type, data: { object } };
    const response = opts.send === false ? null : await deliver(JSON.stringify(evt));
    return { event: evt as Obj, response };
  }

  function charge(pi: Obj): Obj {
    return { id: id('ch'), object: 'charge', amount: pi.amount, currency: pi.currency, customer: pi.customer, payment_intent: pi.id, paid: true, amount_refunded: 0, refunded: false, metadata: pi.metadata };
  }

  function attachCard(customerId: string) {
    const customer = customers.get(customerId);
    if (customer && !customer.default_payment_method) customer.default_payment_method = id('pm');
  }

  async function pay(sessionId: string, opts: { send?: boolean } = {}) {
    const session = sessions.get(sessionId);
    if (!session) throw new Error(`no Checkout Session ${sessionId}`);
    const pi: Obj = { id: id('pi'), object: 'payment_intent', amount: session.amount_total, currency: session.currency, customer: session.customer, status: 'succeeded', metadata: (session.payment_intent_metadata as Obj) ?? {} };
    pi.latest_charge = charge(pi).id;
    paymentIntents.set(pi.id as string, pi);
    Object.assign(session, { status: 'complete', payment_status: 'paid', payment_intent: pi.id });
    if (session.customer) attachCard(session.customer as string);
    if (session.invoice_creation) {
      const invoice = { id: id('in'), object: 'invoice', customer: session.customer, amount_paid: session.amount_total, currency: session.currency, status: 'paid', created: now(), number: `LATHE-${invoices.length + 1}`, hosted_invoice_url: `${base}/invoices/${invoices.length + 1}`, invoice_pdf: `${base}/invoices/${invoices.length + 1}.pdf` };
      invoices.push(invoice);
      session.invoice = invoice.id;
    }
    const { payment_intent_metadata: _, invoice_creation: __, ...wire } = session;
    const { event: evt } = await event('checkout.session.completed', wire, { send: opts.send });
    return { event: evt, session: wire };
  }

  function list(data: Obj[], path: string) {
    return { object: 'list', data, has_more: false, url: path };
  }

  async function api(method: string, path: string, form: Form, url: URL): Promise<Obj> {
    if (method === 'POST' && path === '/v1/customers') {
      const customer = { id: id('cus'), object: 'customer', email: form.email ?? null, name: form.name ?? null, metadata: metadata(form), created: now(), default_payment_method: null as string | null };
      customers.set(customer.id, customer);
      return customer;
    }
    let m = /^\/v1\/customers\/([^/]+)$/.exec(path);
    if (m && method === 'GET') {
      const customer = customers.get(m[1]!);
      if (!customer) throw new StripeApiError(404, { type: 'invalid_request_error', code: 'resource_missing', message: `No such customer: '${m[1]}'` });
      return { ...customer, invoice_settings: { default_payment_method: customer.default_payment_method } };
    }
    if (method === 'POST' && path === '/v1/checkout/sessions') {
      if (form.mode !== 'payment') throw invalid('This stand-in takes mode=payment.', 'mode');
      const items = form.line_items;
      if (!Array.isArray(items) || items.length === 0) throw invalid('Missing required param: line_items.', 'line_items');
      let total = 0;
      let cur = '';
      (items as Form[]).forEach((item, i) => {
        const price = item.price_data as Form | undefined;
        if (!price) throw invalid('line_items need price_data here.', `line_items[${i}][price_data]`);
        const amount = integer(price, 'unit_amount')!;
        const quantity = integer(item, 'quantity')!;
        if (amount <= 0 || quantity <= 0) throw invalid('Amounts and quantities must be positive integers.', `line_items[${i}]`);
        cur = currency(price, 'currency');
        total += amount * quantity;
      });
      if (typeof form.success_url !== 'string') throw invalid('Missing required param: success_url.', 'success_url');
      if (form.customer && !customers.has(form.customer as string)) throw invalid(`No such customer: '${String(form.customer)}'`, 'customer');
      const intentData = (form.payment_intent_data as Form | undefined) ?? {};
      const sid = id('cs_test');
      const session: Obj = {
        id: sid,
        object: 'checkout.session',
        mode: 'payment',
        status: 'open',
        payment_status: 'unpaid',
        amount_total: total,
        currency: cur,
        customer: form.customer ?? null,
        client_reference_id: form.client_reference_id ?? null,
        metadata: metadata(form),
        payment_intent: null,
        success_url: form.success_url,
        cancel_url: form.cancel_url ?? null,
        url: `${base}/checkout/${sid}`,
        payment_intent_metadata: metadata(intentData),
        invoice_creation: (form.invoice_creation as Form | undefined)?.enabled === 'true',
      };
      sessions.set(sid, session);
      const { payment_intent_metadata: _, invoice_creation: __, ...wire } = session;
      return wire;
    }
    m = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path);
    if (m && method === 'GET') {
      const session = sessions.get(m[1]!);
      if (!session) throw new StripeApiError(404, { type: 'invalid_request_error', code: 'resource_missing', message: `No such checkout.session: '${m[1]}'` });
      const { payment_intent_metadata: _, invoice_creation: __, ...wire } = session;
      return wire;
    }
    if (method === 'POST' && path === '/v1/billing_portal/sessions') {
      if (typeof form.customer !== 'string' || !customers.has(form.customer)) throw invalid('Missing or unknown customer.', 'customer');
      return { id: id('bps'), object: 'billing_portal.session', customer: form.customer, return_url: form.return_url ?? null, url: `${base}/portal/${form.customer}` };
    }
    if (method === 'POST' && path === '/v1/payment_intents') {
      const amount = integer(form, 'amount')!;
      if (amount <= 0) throw invalid('Amount must be a positive integer.', 'amount');
      const pi: Obj = { id: id('pi'), object: 'payment_intent', amount, currency: currency(form, 'currency'), customer: form.customer ?? null, metadata: metadata(form), status: 'requires_payment_method' };
      const customer = customers.get(String(form.customer));
      if (!customer) throw invalid(`No such customer: '${String(form.customer)}'`, 'customer');
      if (form.off_session === 'true' && form.confirm === 'true') {
        if (typeof form.payment_method !== 'string') throw invalid('Missing required param: payment_method.', 'payment_method');
        paymentIntents.set(pi.id as string, pi);
        const decline = declines.get(customer.id as string);
        if (decline) {
          pi.status = 'requires_payment_method';
          pi.last_payment_error = { code: 'card_declined', decline_code: decline, message: `Your card was declined (${decline}).` };
          const failed = { ...pi };
          setImmediate(() => void event('payment_intent.payment_failed', failed).catch(() => undefined));
          throw new StripeApiError(402, { type: 'card_error', code: 'card_declined', decline_code: decline, message: `Your card was declined (${decline}).`, payment_intent: failed });
        }
        pi.status = 'succeeded';
        pi.latest_charge = charge(pi).id;
        const paid = { ...pi };
        setImmediate(() => void event('payment_intent.succeeded', paid).catch(() => undefined));
      } else paymentIntents.set(pi.id as string, pi);
      return pi;
    }
    m = /^\/v1\/payment_intents\/([^/]+)$/.exec(path);
    if (m && method === 'GET') {
      const pi = paymentIntents.get(m[1]!);
      if (!pi) throw new StripeApiError(404, { type: 'invalid_request_error', code: 'resource_missing', message: `No such payment_intent: '${m[1]}'` });
      return pi;
    }
    if (method === 'GET' && path === '/v1/invoices') {
      const customer = url.searchParams.get('customer');
      return list(invoices.filter((i) => !customer || i.customer === customer).reverse(), path);
    }
    throw new StripeApiError(404, { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path}).` });
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', base);
    const path = url.pathname;
    const send = (status: number, body: Obj) => {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': id('req') });
      res.end(JSON.stringify(body));
    };
    // The hosted pages a browser visits: Checkout (with a Pay button), the portal, invoices.
    let m = /^\/checkout\/([^/]+)(\/pay)?$/.exec(path);
    if (m) {
      const session = sessions.get(m[1]!);
      if (!session) return void res.writeHead(404).end('no such session');
      if (req.method === 'POST' && m[2]) {
        if (session.status === 'open') {
          const { event: evt } = await pay(session.id as string, { send: !hold });
          if (hold) held.push(JSON.stringify(evt));
        }
        res.writeHead(303, { location: String(session.success_url).replace('{CHECKOUT_SESSION_ID}', session.id as string) });
        return void res.end();
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return void res.end(
        `<!doctype html><html lang="en"><head><title>Checkout</title></head><body><main><h1>Pay ${(Number(session.amount_total) / 100).toFixed(2)} ${String(session.currency).toUpperCase()}</h1><form method="post" action="/checkout/${session.id}/pay"><button type="submit">Pay</button></form></main></body></html>`,
      );
    }
    if (/^\/(portal|invoices)\//.test(path)) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return void res.end('<!doctype html><html lang="en"><head><title>Stripe</title></head><body><h1>Stripe stand-in</h1></body></html>');
    }
    if (!path.startsWith('/v1/')) return void res.writeHead(404).end();
    try {
      if (!/^Bearer sk_(test|live)_/.test(req.headers.authorization ?? '')) throw new StripeApiError(401, { type: 'invalid_request_error', message: 'Invalid API Key provided.' });
      const text = await readBody(req);
      const method = req.method ?? 'GET';
      if (method === 'POST' && text.length > 0 && !String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
        throw invalid('Stripe takes form-encoded bodies (application/x-www-form-urlencoded).');
      }
      const key = (req.headers['idempotency-key'] as string | undefined) ?? null;
      const form = parseStripeForm(method === 'GET' ? '' : text);
      requests.push({ method, path, idempotencyKey: key, body: form });
      if (method === 'POST' && key) {
        const seen = idempotency.get(key);
        if (seen) {
          if (seen.body !== `${path}?${text}`) throw new StripeApiError(400, { type: 'idempotency_error', message: `Keys for idempotent requests can only be used with the same parameters they were first used with (key ${key}).` });
          res.setHeader('idempotent-replayed', 'true');
          return send(seen.status, seen.response);
        }
      }
      let status = 200;
      let response: Obj;
      try {
        response = await api(method, path, form, url);
      } catch (error) {
        if (!(error instanceof StripeApiError) || error.status >= 500) throw error;
        status = error.status;
        response = { error: error.body };
      }
      if (method === 'POST' && key) idempotency.set(key, { body: `${path}?${text}`, status, response });
      send(status, response);
    } catch (error) {
      if (error instanceof StripeApiError) return send(error.status, { error: error.body });
      send(500, { error: { type: 'api_error', message: String(error) } });
    }
  }

  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    host: '127.0.0.1',
    port,
    env: { STRIPE_SECRET_KEY: secretKey, STRIPE_WEBHOOK_SECRET: options.webhookSecret, STRIPE_API_HOST: '127.0.0.1', STRIPE_API_PORT: String(port), STRIPE_API_PROTOCOL: 'http' },
    requests,
    customers,
    sessions,
    paymentIntents,
    setWebhookUrl: (url) => {
      webhookUrl = url;
    },
    pay,
    declineOffSession: (customerId, code) => declines.set(customerId, code),
    holdCheckoutWebhooks: (on) => {
      hold = on;
    },
    releaseHeld: () => Promise.all(held.splice(0).map((payload) => deliver(payload))),
    event,
    deliver,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
