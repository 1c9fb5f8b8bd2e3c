import * as S from "../index.js";
import { runSuite } from "../../bindings-js/test/suite.mjs";
runSuite("node", S);
