# A check staff run by hand inside a user's server (the image keeps a copy in
# /opt/manual_tests): base R, and the packages courses use, work.
#
#   Rscript /opt/manual_tests/test_r_func.R
stopifnot(identical(sum(1:10), 55L))
stopifnot(abs(mean(c(2, 4, 9)) - 5) < 1e-12)

for (pkg in c("tidyverse", "rmarkdown", "IRkernel")) {
  if (!requireNamespace(pkg, quietly = TRUE)) stop("package not installed: ", pkg)
}
cat("R checks passed\n")
