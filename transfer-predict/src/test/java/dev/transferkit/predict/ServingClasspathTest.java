package dev.transferkit.predict;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The classpath this module's tests run on (its own, plus JUnit and transfer-core's test classes) lacks HDF5,
 * liblinear, Spark and the training modules, so the tests here, which load predictors and classify images, show that
 * serving needs none of them. The build's enforcer rule (bannedDependencies) refuses them too; this catches a jar that
 * brings one of their classes under another name.
 */
class ServingClasspathTest {
    @ParameterizedTest
    @ValueSource(strings = {"org.bytedeco.hdf5.global.hdf5", "de.bwaldvogel.liblinear.Linear", "org.apache.spark.SparkContext",
            "dev.transferkit.store.FeatureStore", "dev.transferkit.head.LinearHeadTrainer", "dev.transferkit.TransferLearner"})
    void aServingClasspathLacks(String className) {
        assertThrows(ClassNotFoundException.class, () -> Class.forName(className, false, getClass().getClassLoader()),
                className + " is on transfer-predict's classpath");
    }
}
