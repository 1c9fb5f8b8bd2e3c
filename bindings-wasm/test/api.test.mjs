import * as S from "../node.js";
import { runSuite, checkExports } from "../../bindings-js/test/suite.mjs";
runSuite("wasm", S);
checkExports("wasm", S);
