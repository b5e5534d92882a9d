/* Stands in for datahub-gen in the benchmark's build.ninja (generated with
 * --tool pointing here): a step (`fake step KIND ... --stamp FILE` or
 * `--out FILE`) only creates its output, so that one `ninja` makes every
 * stamp and the next `ninja` has nothing to do; anything else (the
 * regeneration edge) runs the real generator, DATAHUB_GEN, given when this
 * file is compiled (bench/run.sh does that). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int MakeParents(char* path) {
  for (char* slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
    *slash = '\0';
    int failed = mkdir(path, 0777) != 0 && errno != EEXIST;
    *slash = '/';
    if (failed) return -1;
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "step") == 0) {
    char* out = NULL;
    for (int i = 2; i + 1 < argc; ++i)
      if (strcmp(argv[i], "--stamp") == 0 || strcmp(argv[i], "--out") == 0) out = argv[i + 1];
    if (!out) {
      fprintf(stderr, "fake datahub-gen: a step without --stamp or --out\n");
      return 2;
    }
    int fd = MakeParents(out) == 0 ? open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;
    if (fd < 0) {
      perror(out);
      return 1;
    }
    return close(fd) == 0 ? 0 : 1;
  }
  argv[0] = DATAHUB_GEN;
  execv(DATAHUB_GEN, argv);
  perror(DATAHUB_GEN);
  return 127;
}
