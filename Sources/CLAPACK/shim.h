// LAPACKE (symmetric eigendecomposition) and CBLAS (dgemm) from Debian's liblapacke-dev and
// libopenblas-dev: the double-precision linear algebra of the adaptor's ridge regression.
#include <lapacke.h>
#include <cblas.h>
