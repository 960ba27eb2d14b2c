/**
 * What the CLI prints that came from outside the process is made printable: an upstream's error
 * text and answer in `switchyard chat`, a config line quoted by `switchyard validate`. ANSI
 * escapes (colours, clearing the screen, an OSC title change) and control characters never reach
 * the terminal; line feeds and tabs stay. The upstream is a plain node:http server on loopback.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.ts';
import { captureIo } from '../helpers/cli-io.ts';

/** Clears the screen, sets the window title, rings the bell, and moves back over the line. */
const hostile = '\u001b[2J\u001b]0;owned\u0007\u001b[31mred\u001b[0m\r\bX\u0000\u009b';

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
const unprintable = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

let server: Server;
let directory: string;
let config: string;
beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (data: Buffer) => {
      body += data.toString();
    });
    request.on('end', () => {
      const model = (JSON.parse(body) as { model: string }).model;
      if (model === 'refuses') {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: `bad input ${hostile} here` } }));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id: 'x',
          object: 'chat.completion',
          created: 0,
          model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: `answer ${hostile}\nsecond line` },
              finish_reason: 'stop',
            },
          ],
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  directory = mkdtempSync(join(tmpdir(), 'switchyard-printable-'));
  config = join(directory, 'config.yaml');
  writeFileSync(
    config,
    `version: 1\ngateways:\n  local: { type: openai-compatible, baseURL: "${url}/v1", apiKey: sk-printable }\nmodels:\n  refuses: local:refuses\n  answers: local:answers\n`,
  );
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(directory, { recursive: true, force: true });
});

describe('the CLI prints outside text without escapes or control characters', () => {
  it("chat: an upstream's error text", async () => {
    const { io, out } = captureIo({});
    expect(await runCli({ argv: ['chat', 'refuses', 'hi', '-c', config, '--no-stream'], io })).toBe(
      1,
    );
    expect(out.stderr).toContain('bad input');
    expect(out.stderr).toContain('red');
    expect(out.stderr).not.toMatch(unprintable);
  });

  it("chat: an upstream's answer keeps its lines", async () => {
    const { io, out } = captureIo({});
    expect(await runCli({ argv: ['chat', 'answers', 'hi', '-c', config, '--no-stream'], io })).toBe(
      0,
    );
    // The escapes go; the carriage return becomes a line break, the other controls go.
    expect(out.stdout).toBe('answer red\nX\nsecond line\n');
    expect(out.stdout).not.toMatch(unprintable);
  });

  it('validate: a config line quoted in an error', async () => {
    const file = join(directory, 'hostile.yaml');
    writeFileSync(
      file,
      `version: 1\ngateways:\n  local: { type: openai-compatible, baseURL: "http://127.0.0.1:9/v1" }\nmodels:\n  fast: "nowhere${hostile}"\n`,
    );
    const { io, out } = captureIo({});
    expect(await runCli({ argv: ['validate', file], io })).toBe(1);
    expect(out.stderr).toContain('fast');
    expect(out.stderr).not.toMatch(unprintable);
  });
});
