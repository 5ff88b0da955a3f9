import { randomUUID } from 'node:crypto';
import { ADMIN } from './stack.js';

export interface Json {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** One JSON request; the body is parsed when the response is JSON. */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: {
    token?: string;
    body?: unknown;
    rawBody?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Json> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.includes('application/json');
  return {
    status: response.status,
    headers: response.headers,
    body: isJson && text ? JSON.parse(text) : text,
  };
}

export async function login(baseUrl: string, email: string, password: string) {
  const response = await call(baseUrl, 'POST', '/auth/login', { body: { email, password } });
  if (response.status !== 200)
    throw new Error(`login failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as { accessToken: string; refreshToken: string };
}

export const adminLogin = (baseUrl: string) => login(baseUrl, ADMIN.email, ADMIN.password);

/** Registers a fresh user and logs in. */
export async function newUser(baseUrl: string) {
  const email = `user-${randomUUID()}@example.com`;
  const password = 'a-long-enough-password';
  const registered = await call(baseUrl, 'POST', '/auth/register', {
    body: { email, password, name: 'Test User' },
  });
  if (registered.status !== 201)
    throw new Error(`register failed: ${registered.status} ${JSON.stringify(registered.body)}`);
  const tokens = await login(baseUrl, email, password);
  return { id: registered.body.id as string, email, password, ...tokens };
}

/** A fetch Response's JSON body, typed loosely for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const json = (response: Response): Promise<any> => response.json();
