import * as S from "../index.js";
import { runSuite, checkExports } from "../../bindings-js/test/suite.mjs";
runSuite("node", S);
checkExports("node", S);
