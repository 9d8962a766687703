// Loaded before the dynamic-provider host, with `node --require` (scripts/toolchain's launcher): the
// watch for the engine starts with the process instead of at the first configure, so a provider
// whose engine dies before it was ever configured exits too, instead of lingering.
import { closeClient } from "./config";
import { exitWhenEngineGone } from "./engine-watch";

exitWhenEngineGone(closeClient);
