// What the image builder asks Debian's package tools: installed and candidate
// versions, missing packages, and a private apt configuration for source
// packages (so `apt-get source` works without touching the system's apt
// sources, and without root).

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { haveCommand, ImagesError, isRoot, query, runLogged, type Progress } from './host.js';

/** Fails with one line when Debian's package tools are not there. */
export function requireApt(purpose: string): void {
  for (const cmd of ['apt-get', 'apt-cache', 'dpkg-deb', 'dpkg-query']) {
    if (!haveCommand(cmd)) throw new ImagesError(`${cmd} not found: ${purpose} needs Debian's package tools (apt, dpkg)`);
  }
}

/** The installed version of a package, or null when it is not installed. */
export function installedVersion(pkg: string): string | null {
  const out = query('dpkg-query', ['-W', '-f=${db:Status-Status} ${Version}', pkg]);
  const m = out ? /^installed (\S+)$/.exec(out.trim()) : null;
  return m ? m[1] : null;
}

/** Parses `apt-cache policy PKG`: the version apt would install, or null. */
export function parseCandidate(policy: string): string | null {
  const m = /^\s*Candidate:\s*(\S+)\s*$/m.exec(policy);
  return m && m[1] !== '(none)' ? m[1] : null;
}

export function candidateVersion(pkg: string): string | null {
  const out = query('apt-cache', ['policy', pkg]);
  return out ? parseCandidate(out) : null;
}

/**
 * Parses one `apt-cache show` record: the source package's name and version.
 * A binary rebuilt without a source change (a binNMU such as
 * 1:1.35.0-4+deb12u1+b1) names its source version in "Source: busybox
 * (1:1.35.0-4+deb12u1)"; otherwise the source has the binary's name or the
 * name alone and the binary's version.
 */
export function parseSourceOf(record: string): { name: string; version: string } | null {
  const pkg = /^Package:\s*(\S+)/m.exec(record)?.[1];
  const version = /^Version:\s*(\S+)/m.exec(record)?.[1];
  if (!pkg || !version) return null;
  const src = /^Source:\s*(\S+)(?:\s+\((\S+)\))?/m.exec(record);
  return { name: src?.[1] ?? pkg, version: src?.[2] ?? version };
}

/** The source package (name, version) behind the candidate of a binary package. */
export function candidateSource(pkg: string): { name: string; version: string } | null {
  const cand = candidateVersion(pkg);
  if (!cand) return null;
  const out = query('apt-cache', ['show', `${pkg}=${cand}`]);
  return out ? parseSourceOf(out.split(/\n\n/)[0]) : null;
}

/** Packages from the list that are not installed. */
export function missingPackages(pkgs: readonly string[]): string[] {
  return pkgs.filter((p) => installedVersion(p) === null);
}

/**
 * Installs missing packages as root (`apt-get install`, after `apt-get
 * update` when apt knows no candidate); as another user, fails with the
 * command to run.
 */
export async function ensurePackages(progress: Progress, log: string, pkgs: readonly string[]): Promise<void> {
  const missing = missingPackages(pkgs);
  if (missing.length === 0) return;
  if (!isRoot()) {
    throw new ImagesError(`missing packages: ${missing.join(' ')} (as root: apt-get install --no-install-recommends ${missing.join(' ')})`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await progress.step(`installing ${missing.join(' ')}`, async () => {
    if (missing.some((p) => candidateVersion(p) === null)) {
      await runLogged(progress, log, 'apt-get', ['update', '-q'], { what: 'apt-get update', env });
    }
    await runLogged(progress, log, 'apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing],
      { what: `apt-get install ${missing.join(' ')}`, env });
  });
}

/**
 * deb-src lines for every archive the system's apt uses (read from `apt-get
 * indextargets`, so the same mirror), for a private sources.list.
 */
export function debSrcLines(indextargets: string, keyring: string | null): string[] {
  const lines = new Set<string>();
  for (const l of indextargets.split('\n')) {
    const [uri, release, component] = l.trim().split(/\s+/);
    if (!uri || !release || !component) continue;
    const opts = keyring ? ` [signed-by=${keyring}]` : '';
    lines.add(`deb-src${opts} ${uri} ${release} ${component}`);
  }
  return [...lines].sort();
}

/** A private apt configuration (under `dir`) that knows the system's archives' source packages. */
export class SourceApt {
  private readonly opts: string[];
  constructor(private readonly dir: string) {
    this.opts = [
      '-o', `Dir::Etc::SourceList=${join(dir, 'sources.list')}`,
      '-o', 'Dir::Etc::SourceParts=/nonexistent',
      '-o', `Dir::State::Lists=${join(dir, 'lists')}`,
      '-o', `Dir::Cache=${join(dir, 'cache')}`,
      // As root apt drops to the _apt user to download, who cannot write here.
      ...(isRoot() ? ['-o', 'APT::Sandbox::User=root'] : []),
    ];
  }

  private writeSources(): void {
    const targets = query('apt-get', ['indextargets', '--format', '$(REPO_URI) $(RELEASE) $(COMPONENT)', 'Created-By: Packages']);
    const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg';
    const lines = debSrcLines(targets ?? '', existsSync(keyring) ? keyring : null);
    if (lines.length === 0) throw new ImagesError('apt knows no Debian archive (run apt-get update as root)');
    mkdirSync(join(this.dir, 'lists', 'partial'), { recursive: true });
    mkdirSync(join(this.dir, 'cache', 'archives', 'partial'), { recursive: true });
    writeFileSync(join(this.dir, 'sources.list'), `# deb-src entries written by tkvm images for apt-get source\n${lines.join('\n')}\n`);
  }

  /**
   * Downloads and unpacks source package name=version into `cwd` (a deb-src
   * index is fetched first when the private one does not have that version).
   */
  async source(progress: Progress, log: string, name: string, version: string, cwd: string): Promise<void> {
    const spec = `${name}=${version}`;
    if (query('apt-get', [...this.opts, 'source', '--print-uris', spec]) === null) {
      this.writeSources();
      await runLogged(progress, log, 'apt-get', [...this.opts, 'update', '-q'], { what: 'apt-get update (deb-src)' });
    }
    await runLogged(progress, log, 'apt-get', [...this.opts, 'source', '-q', spec], { what: `apt-get source ${spec}`, cwd });
  }
}
