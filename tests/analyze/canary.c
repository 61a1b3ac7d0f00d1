/* tests/analyze/canary.c - a defect every analyzer of tests/analyze/run.sh must report: p is
   NULL when k <= 1. A tool that stays silent here (not installed, or run with options that
   analyze nothing) cannot be trusted when it is silent on the library. */
int analyze_canary(int k);
int analyze_canary(int k) {
    int *p = 0;
    if (k > 1) p = &k;
    return *p;
}
