// Keeps secrets (the Flic-Token, admin and API keys) out of anything printed or logged.

const registered = new Set<string>();

/** Registers a secret so that `redact` replaces it wherever it appears. Short values are ignored. */
export function registerSecret(secret: string | undefined | null): void {
  if (secret && secret.length >= 4) registered.add(secret);
}

/** Replaces every registered secret in `text` with `[REDACTED]`. */
export function redact(text: string): string {
  let out = text;
  for (const secret of registered) {
    if (out.includes(secret)) out = out.split(secret).join('[REDACTED]');
  }
  return out;
}
