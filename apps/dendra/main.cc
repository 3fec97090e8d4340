// dendra: the generic driver. `dendra [input.prm]` runs the simulation the
// file describes (without a file: the built-in default, a Li-filled defect in
// LLZO pressurised by plating); `--print-parameters` prints every parameter.
#include <dendra/coupling/application.h>

int main(int argc, char **argv)
{
  return dendra::run_application(
    argc, argv,
    {"dendra",
     "Without an input file, dendra runs its built-in default: a Li-filled interfacial defect\n"
     "in LLZO pressurised by a plating eigenstrain.\n",
     ""});
}
