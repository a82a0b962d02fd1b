/**
 * JMH microbenchmarks of the codec hot path: what Baton does per frame and per packet on the data
 * path (frame headers, the response framer, OK packets) and per login (auth scrambles). Run them
 * all with {@code ./baton bench jmh} or
 * {@code java -cp perf/target/baton.jar org.openjdk.jmh.Main -f 1 -wi 2 -i 3}. Each class keeps
 * its iterations short (1 s) so that the default run stays under about two minutes.
 */
package io.baton.perf.jmh;
