package dev.transferkit.spark;

import org.apache.hadoop.conf.Configuration;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;

/**
 * A Hadoop {@link Configuration} that travels to executors: the driver's entries (including Spark's
 * {@code spark.hadoop.*} settings, e.g. S3 credentials providers) as a map, rebuilt once per JVM copy.
 */
final class HadoopConf implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Map<String, String> entries;
    private transient Configuration conf;

    HadoopConf(Configuration conf) {
        this.entries = new HashMap<>();
        for (Map.Entry<String, String> e : conf) {
            entries.put(e.getKey(), e.getValue());
        }
        this.conf = conf;
    }

    /** @return the configuration, rebuilt from the entries after deserialisation */
    synchronized Configuration get() {
        if (conf == null) {
            Configuration c = new Configuration(false);
            entries.forEach(c::set);
            conf = c;
        }
        return conf;
    }

    @Override
    public String toString() {
        return "HadoopConf(" + entries.size() + " entries, fs.defaultFS=" + entries.get("fs.defaultFS") + ")";
    }
}
