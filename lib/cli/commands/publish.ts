import type { Command } from "commander";
import { statusName } from "../../store/status.js";
import { type CommonOptions, printResult } from "../output.js";
import { stopSignal } from "../stop.js";
import { collect, withCommonOptions, withContext } from "./common.js";

interface PublishOptions extends CommonOptions {
  project: string;
  folder: string;
  task: string;
  product: string;
  productType: string;
  file: string[];
  resources?: string;
  representation?: string;
  link?: string[];
  site?: string;
  hero?: boolean;
  frames?: string;
  allowMissingFrames?: boolean;
  udim?: boolean;
}

const FILES_SHOWN = 10;

export function registerPublish(program: Command): void {
  withCommonOptions(
    program
      .command("publish")
      .description(
        "publish files (and a resources folder) as the next version of a product, like AYON's integrator",
      )
      .requiredOption("--project <name>", "project name")
      .requiredOption("--folder <path>", "folder path, e.g. /assets/characters/hero")
      .requiredOption("--task <name>", "task that publishes")
      .requiredOption("--product <name>", "product name, e.g. workfileModeling")
      .requiredOption("--product-type <type>", "product type, e.g. workfile")
      .requiredOption(
        "--file <path>",
        "file to publish (repeatable); a frame pattern r.####.exr, r.%04d.exr, r.$F4.exr or tex.<UDIM>.exr publishes a sequence",
        collect,
      )
      .option(
        "--frames <A-B>",
        "frames of the sequence to publish, e.g. 1001-1100 (default: every frame on disk)",
      )
      .option("--allow-missing-frames", "with --frames, publish the frames that exist and record the gaps")
      .option("--udim", "the numbers in the --file names are UDIM tiles ({udim}), not frames")
      .option("--resources <dir>", "folder published under {publishDir}/resources/ keeping its layout")
      .option("--representation <name>", "representation name (default: the file extension)")
      .option("--link <type:versionId>", "version link, e.g. reference:<id> (repeatable)", collect)
      .option("--site <site>", "site to publish on (default: the active site)")
      .option("--hero", "also integrate the version as the product's hero version"),
  ).action(async (options: PublishOptions) => {
    await withContext(options, async (context) => {
      const [{ publish }, { createLogger }] = await Promise.all([
        import("../../publish/publish.js"),
        import("../../log.js"),
      ]);
      const signal = stopSignal(
        createLogger({ verbose: options.verbose ?? false, format: options.logFormat }),
      );
      const result = await publish(
        context,
        {
          project: options.project,
          folderPath: options.folder,
          task: options.task,
          product: options.product,
          productType: options.productType,
          files: options.file,
          ...(options.resources === undefined ? {} : { resources: options.resources }),
          ...(options.representation === undefined ? {} : { representation: options.representation }),
          links: options.link ?? [],
          ...(options.site === undefined ? {} : { site: options.site }),
          hero: options.hero ?? false,
          ...(options.frames === undefined ? {} : { frames: options.frames }),
          allowMissingFrames: options.allowMissingFrames ?? false,
          udim: options.udim ?? false,
        },
        signal,
      );
      // The new version's QUEUED sites are work for the running services now, not after loop_delay.
      const { wakeForWork } = await import("../../service/wake.js");
      const wokenServices = await wakeForWork(context, options.project, Object.keys(result.sites));
      printResult(options, { ...result, wokenServices }, () =>
        [
          `published ${options.product} v${String(result.version).padStart(3, "0")} on ${result.site}`,
          `  version         ${result.versionId}`,
          `  representation  ${result.representationId}`,
          // A 2,000-frame sequence is not 2,000 lines: the first files, then a count (--json has all).
          ...result.files.slice(0, FILES_SHOWN).map((f) => `  file            ${f.path}`),
          ...(result.files.length > FILES_SHOWN
            ? [`  file            ... and ${result.files.length - FILES_SHOWN} more`]
            : []),
          ...Object.entries(result.sites).map(
            ([site, status]) => `  site ${site.padEnd(11)}${statusName(status)}`,
          ),
        ].join("\n"),
      );
    });
  });
}
