/**
 * The schema the front door describes through server reflection: every file
 * that defines a served service, and every file those import, taken from the
 * descriptors protoc-gen-es embeds in the generated code. Nothing is parsed
 * at run time, so reflection always matches the code that is actually
 * serving.
 */
import { createRegistry, toBinary, type DescExtension, type DescFile, type DescService, type Registry } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

/** Files and symbols of the served services, looked up by name. */
export interface DescriptorIndex {
  /** Fully-qualified names of the served services, sorted. */
  readonly serviceNames: readonly string[];
  /** The file named `fileName` (for example `impossibledb/v1/document.proto`). */
  fileByName(fileName: string): DescFile | undefined;
  /**
   * The file that defines `symbol`: a message, enum, service, extension, a
   * method (`pkg.Service.Method`) or an enum value or field of a message.
   */
  fileBySymbol(symbol: string): DescFile | undefined;
  /** The extension of `extendee` with field number `fieldNumber`. */
  extension(extendee: string, fieldNumber: number): DescExtension | undefined;
  /** The field numbers of all known extensions of `extendee`; undefined when no such message. */
  extensionNumbers(extendee: string): number[] | undefined;
}

/** Indexes the files of `services` and all their imports. */
export function createDescriptorIndex(services: readonly DescService[]): DescriptorIndex {
  const files = new Map<string, DescFile>();
  const visit = (file: DescFile): void => {
    if (files.has(file.proto.name)) return;
    files.set(file.proto.name, file);
    file.dependencies.forEach(visit);
  };
  services.forEach((service) => visit(service.file));
  const registry = createRegistry(...files.values());
  const serviceNames = [...new Set(services.map((s) => s.typeName))].sort();
  return {
    serviceNames,
    fileByName: (fileName) => files.get(fileName),
    fileBySymbol: (symbol) => lookupSymbol(registry, symbol),
    extension(extendee, fieldNumber) {
      const message = registry.getMessage(extendee);
      return message === undefined ? undefined : registry.getExtensionFor(message, fieldNumber);
    },
    extensionNumbers(extendee) {
      if (registry.getMessage(extendee) === undefined) return undefined;
      const numbers: number[] = [];
      for (const desc of registry) {
        if (desc.kind === "extension" && desc.extendee.typeName === extendee) numbers.push(desc.number);
      }
      return numbers.sort((a, b) => a - b);
    },
  };
}

function lookupSymbol(registry: Registry, symbol: string): DescFile | undefined {
  const direct = registry.get(symbol);
  if (direct !== undefined) return direct.file;
  // A method, field or enum value: its parent is a service, message or enum.
  const dot = symbol.lastIndexOf(".");
  if (dot <= 0) return undefined;
  const parent = registry.get(symbol.slice(0, dot));
  const member = symbol.slice(dot + 1);
  switch (parent?.kind) {
    case "service":
      return parent.methods.some((m) => m.name === member) ? parent.file : undefined;
    case "message":
      return parent.fields.some((f) => f.name === member) ? parent.file : undefined;
    case "enum":
      return parent.values.some((v) => v.name === member) ? parent.file : undefined;
    default:
      return undefined;
  }
}

/**
 * `file` and every file it imports, transitively, serialized as
 * FileDescriptorProtos, the file itself first. gRPC reflection clients
 * expect the imports along with the file so they can resolve every type.
 */
export function serializeWithImports(file: DescFile): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  const visit = (f: DescFile): void => {
    if (seen.has(f.proto.name)) return;
    seen.add(f.proto.name);
    out.push(toBinary(FileDescriptorProtoSchema, f.proto));
    f.dependencies.forEach(visit);
  };
  visit(file);
  return out;
}
