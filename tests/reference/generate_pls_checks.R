## generate_pls_checks.R -- more pls_pm cases, computed with the peer's generate_pls.R (unchanged).
##
## The two developer cases (pls_ecsi_centroid, pls_ecsi_path) have six Mode A blocks, complete
## data and numeric ids. These cases use the same functions on the same 'satisfaction' data
## with 7 values removed from each of imag2, qual3 and loy1 (21 cells, set.seed(3)) and
## string ids: Mode B blocks with the factorial and the path scheme (listwise deletion), and a
## single-item block. Run from this folder: Rscript generate_pls_checks.R (under 1 s; base R +
## jsonlite). It writes data/pls_satisfaction_missing.csv and expected/pls_check_*.json.
PLS_LIB_ONLY <- TRUE
source("generate_pls.R")
sat <- read.csv(file.path("data", "pls_satisfaction.csv"), check.names = FALSE)
set.seed(3)
d <- sat
for (v in c("imag2", "qual3", "loy1")) d[sample(nrow(d), 7), v] <- NA
d$id <- paste0("r", d$id)
write.csv(d, file.path("data", "pls_satisfaction_missing.csv"), row.names = FALSE, na = "")
blocks <- list(IMAG = paste0("imag", 1:5), EXPE = paste0("expe", 1:5), QUAL = paste0("qual", 1:5),
               VAL = paste0("val", 1:4), SAT = paste0("sat", 1:4), LOY = paste0("loy", 1:4))
paths <- list(c("IMAG", "EXPE"), c("IMAG", "SAT"), c("IMAG", "LOY"), c("EXPE", "QUAL"), c("EXPE", "VAL"),
              c("EXPE", "SAT"), c("QUAL", "VAL"), c("QUAL", "SAT"), c("VAL", "SAT"), c("SAT", "LOY"))
all_a <- c(IMAG = "A", EXPE = "A", QUAL = "A", VAL = "A", SAT = "A", LOY = "A")
cases <- list(
  list(id = "pls_check_modeb_factorial", blocks = blocks, paths = paths, scheme = "factorial", target = "LOY",
       modes = c(IMAG = "B", EXPE = "A", QUAL = "A", VAL = "B", SAT = "A", LOY = "B"),
       what = "IMAG, VAL and LOY formative (Mode B), the others Mode A; factorial scheme"),
  list(id = "pls_check_modeb_path", blocks = blocks, paths = paths, scheme = "path", target = "SAT",
       modes = c(IMAG = "B", EXPE = "B", QUAL = "B", VAL = "B", SAT = "B", LOY = "B"),
       what = "all six blocks formative (Mode B); path scheme"),
  list(id = "pls_check_single_item_path", blocks = c(blocks[1:4], list(SAT = "sat1"), blocks[6]),
       paths = paths, scheme = "path", target = "LOY", modes = all_a,
       what = "SAT measured by sat1 alone (single-item block), Mode A; path scheme"))
for (cs in cases) {
  peer <- pls_peer()
  peer$validation <- list(note = "computed with generate_pls.R's pls_fit and ipma, which reproduce R plspm (see PLS.md)")
  obj <- pls_case(cs$id,
    sprintf("ECSI-style model on R plspm's 'satisfaction' data with 21 cells removed (listwise deletion) and string ids; %s", cs$what),
    "data/pls_satisfaction_missing.csv", d, "id", cs$blocks, cs$modes, cs$paths, cs$scheme,
    scale_min = 0, scale_max = 10, ipma_target = cs$target,
    missing_note = "listwise deletion on the model's indicators before estimation", peer = peer)
  write_pls_case(".", obj)
}
cat("PLS check cases written\n")
