/** Where results and errors go: results to stdout, everything else to stderr (so `--json | jq` works). */
export class Output {
  constructor(
    private readonly stdout: Pick<NodeJS.WriteStream, 'write'> = process.stdout,
    private readonly stderr: Pick<NodeJS.WriteStream, 'write'> = process.stderr,
  ) {}

  /** One result: the API's JSON document with `--json`, the human text otherwise. */
  result(json: boolean, document: unknown, human: () => string): void {
    this.stdout.write(json ? `${JSON.stringify(document, null, 2)}\n` : `${human()}\n`);
  }

  error(text: string): void {
    this.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }
}
