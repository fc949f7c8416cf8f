/**
 * Command-line arguments of a benchmark: its own options plus the shared ones
 * (--smoke, --runs, --sizes, --only, --keep), parsed with node:util.
 *
 * `--smoke` means tiny sizes and one run: each benchmark gives its smoke
 * values, which win over the command line, so `npm run bench:smoke` stays fast.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface BenchArgs {
  smoke: boolean;
  runs: number;
  sizes: number[];
  /** Contenders to run (all when --only is absent). */
  only: string[] | undefined;
  keep: boolean;
  /** A string option of the benchmark's own, or `fallback`. */
  text(name: string, fallback?: string): string | undefined;
  /** A numeric option of the benchmark's own, or `fallback`. */
  num(name: string, fallback: number): number;
  flag(name: string): boolean;
}

export interface ArgsSpec {
  /** Default of --sizes (comma separated) and --runs. */
  sizes?: string;
  runs?: number;
  /** What --smoke sets instead. */
  smoke: { sizes?: number[]; runs?: number };
  /** The benchmark's own options (strings or booleans). */
  options?: Options;
}

export const list = (text: string | undefined): number[] =>
  (text ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);

export function benchArgs(spec: ArgsSpec, argv = process.argv.slice(2)): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      smoke: { type: "boolean", default: false },
      runs: { type: "string" },
      sizes: { type: "string" },
      only: { type: "string" },
      keep: { type: "boolean", default: false },
      ...spec.options,
    },
  });
  const v = values as Record<string, string | boolean | undefined>;
  const smoke = v.smoke === true;
  const str = (name: string) => (typeof v[name] === "string" ? (v[name] as string) : undefined);
  const runs = smoke ? (spec.smoke.runs ?? 1) : Number(str("runs") ?? spec.runs ?? 3);
  const sizes = smoke && spec.smoke.sizes ? spec.smoke.sizes : list(str("sizes") ?? spec.sizes);
  for (const n of [runs, ...sizes])
    if (!Number.isFinite(n) || n <= 0) throw new Error(`bad --runs or --sizes value: ${n}`);
  return {
    smoke,
    runs,
    sizes,
    only: str("only")
      ?.split(",")
      .map((s) => s.trim()),
    keep: v.keep === true,
    text: (name, fallback) => str(name) ?? fallback,
    num: (name, fallback) => {
      const n = Number(str(name) ?? fallback);
      if (!Number.isFinite(n)) throw new Error(`--${name}: not a number`);
      return n;
    },
    flag: (name) => v[name] === true,
  };
}
