import * as S from "../node.js";
import { runSuite } from "../../bindings-js/test/suite.mjs";
runSuite("wasm", S);
