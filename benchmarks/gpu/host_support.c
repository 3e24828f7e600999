/* main() for a compiled QSL test program (func @qsl_main) on a machine
 * without LLVM/MLIR; the runner-utils functions it calls come from
 * lib/Runtime/MemrefSupport.c. */
#include "../../lib/Runtime/MemrefSupport.c"

void qsl_main(void);

int main(void) {
  qsl_main();
  return 0;
}
