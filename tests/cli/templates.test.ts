import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, sampleBlog } from '../helpers/cli.js';

const env = { FEEDLETTER_SECRET: 'k'.repeat(40) };

describe('digest templates the config names', () => {
  it('email-templates/digest.mjml deleted: digest --dry-run exits 78 naming the file, and writes nothing', async () => {
    const dir = sampleBlog();
    rmSync(path.join(dir, 'email-templates/digest.mjml'));
    const run = await runCli(dir, ['digest', '--dry-run', '--since', '2026-01-01'], { env });
    expect(run.code, run.stderr).toBe(78);
    expect(run.stderr).toMatch(/email-templates\/digest\.mjml: template not found/);
    expect(run.stdout).not.toMatch(/digest \(dry-run\)/);
  });

  it('no template folder at all: the built-in templates, and the log says so', async () => {
    const dir = sampleBlog();
    rmSync(path.join(dir, 'email-templates'), { recursive: true });
    const run = await runCli(dir, ['--verbose', 'digest', '--dry-run', '--since', '2026-01-01'], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/digest \(dry-run\): 2 posts/);
    expect(run.stderr).toMatch(/no email-templates\/ folder: using feedletter's built-in email templates/);
  });

  it('a digest.templates folder the config names but that is not there: 78 naming the key', async () => {
    const dir = sampleBlog();
    writeFileSync(path.join(dir, 'config/feedletter.yaml'), 'site:\n  url: https://blog.example.com/\ndigest:\n  templates: mail-templates\n  firstRunLookback: all\n');
    const run = await runCli(dir, ['digest', '--dry-run'], { env });
    expect(run.code, run.stderr).toBe(78);
    expect(run.stderr).toMatch(/digest\.templates: the folder mail-templates does not exist/);
  });
});
