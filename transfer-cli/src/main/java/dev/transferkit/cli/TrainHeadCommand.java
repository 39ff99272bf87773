package dev.transferkit.cli;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.extract.FeaturePipeline;
import dev.transferkit.head.ClassWeights;
import dev.transferkit.head.Head;
import dev.transferkit.head.LinearHeadTrainer;
import dev.transferkit.head.MlpHeadTrainer;
import dev.transferkit.model.BaseModel;
import dev.transferkit.predict.TransferModel;
import dev.transferkit.store.FeatureStore;
import dev.transferkit.store.StoreDataSetIterator;
import dev.transferkit.store.StoreSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code transferkit train-head}: a classifier on the features of a store, saved as a predictor with its network. */
@Command(name = "train-head", mixinStandardHelpOptions = true,
        description = {"Train a head on a feature store and save a predictor (network, layer, pooling, head, labels) as one zip.",
                "logistic and svm load the store into memory (logistic: L-BFGS on standardised features, multinomial for"
                        + " more than two classes; svm: liblinear); mlp trains batch by batch from disk."})
final class TrainHeadCommand implements Callable<Integer> {
    /** The kinds of head. */
    enum Kind { LOGISTIC, SVM, MLP }

    @ParentCommand
    Main main;

    @Option(names = {"-t", "--train"}, required = true, paramLabel = "STORE.h5", description = "The training store.")
    Path train;

    @Option(names = "--validation", paramLabel = "STORE.h5",
            description = "A validation store: early stopping for mlp, and a report for every head.")
    Path validation;

    @Option(names = {"-m", "--model"}, paramLabel = "MODEL",
            description = "The network the store was extracted with. Default: the built-in network the store names.")
    String model;

    @Option(names = "--head", defaultValue = "LOGISTIC", description = "${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.")
    Kind kind;

    @Option(names = "--c", split = ",", paramLabel = "C",
            description = "Inverse regularisation strength of logistic/svm; several values (comma-separated) are chosen"
                    + " from by cross-validation. Default: 0.01,0.1,1,10.")
    double[] c = {0.01, 0.1, 1, 10};

    @Option(names = "--folds", defaultValue = "5", description = "Cross-validation folds when several C are given. Default: ${DEFAULT-VALUE}.")
    int folds;

    @Option(names = "--class-weights", defaultValue = "BALANCED", description = "BALANCED or UNIFORM. Default: ${DEFAULT-VALUE}.")
    Weights weights;

    @Option(names = "--multi-class", description = "logistic with more than two classes: MULTINOMIAL (default with lbfgs)"
            + " or OVR (one-vs-rest; the only choice with liblinear).")
    MultiClass multiClass;

    @Option(names = "--solver", description = "logistic: LBFGS (default) or LIBLINEAR. svm always uses liblinear.")
    LinearHeadTrainer.Solver solver;

    @Option(names = "--no-standardize", negatable = false,
            description = "logistic/svm: train on the raw features instead of standardising them (mean 0, variance 1 on the training rows).")
    boolean noStandardize;

    @Option(names = "--threads", paramLabel = "N", description = "logistic/svm: CPU threads to train with. Default: all processors.")
    Integer threads;

    @Option(names = "--hidden", split = ",", paramLabel = "N", description = "mlp hidden layer sizes. Default: 256,16.")
    int[] hidden = {256, 16};

    @Option(names = "--epochs", defaultValue = "30", description = "mlp maximum epochs. Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--patience", defaultValue = "3", description = "mlp early-stopping patience. Default: ${DEFAULT-VALUE}.")
    int patience;

    @Option(names = "--batch-size", defaultValue = "128", description = "mlp rows per batch. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--seed", defaultValue = "42", description = "Seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "PREDICTOR.zip", description = "The predictor to write.")
    Path output;

    /** Class weighting choices. */
    enum Weights { BALANCED, UNIFORM }

    /** Multi-class schemes of logistic regression. */
    enum MultiClass { MULTINOMIAL, OVR }

    @Override
    public Integer call() {
        try (FeatureStore store = FeatureStore.open(train)) {
            BaseModel base = baseModel(store.spec());
            ClassWeights classWeights = weights == Weights.BALANCED ? ClassWeights.balanced() : ClassWeights.uniform();
            Head head;
            if (kind == Kind.MLP) {
                head = mlp(store, classWeights);
            } else {
                LinearHeadTrainer.Builder b = LinearHeadTrainer.builder().setKind(kind == Kind.SVM
                        ? LinearHeadTrainer.Kind.LINEAR_SVM : LinearHeadTrainer.Kind.LOGISTIC_REGRESSION)
                        .optClassWeights(classWeights).optSeed(seed).optStandardize(!noStandardize);
                if (solver != null) {
                    b.optSolver(solver);
                }
                if (multiClass != null) {
                    b.optMultiClass(multiClass == MultiClass.OVR ? LinearHeadTrainer.MultiClass.ONE_VS_REST
                            : LinearHeadTrainer.MultiClass.MULTINOMIAL);
                }
                if (threads != null) {
                    b.optThreads(threads);
                }
                if (c.length == 1) {
                    b.optC(c[0]);
                } else {
                    b.optCrossValidation(c, folds);
                }
                head = b.build().fit(store.loadAll());
            }
            Map<String, String> provenance = new LinkedHashMap<>();
            provenance.put("trainer", "transferkit train-head --head " + kind.name().toLowerCase(java.util.Locale.ROOT));
            provenance.put("trainStore", store.path().toAbsolutePath().toString());
            provenance.put("trainRows", Long.toString(store.rows()));
            provenance.put("created", Instant.now().toString());
            TransferModel predictor = TransferModel.of(new FeaturePipeline(base, store.spec().layer(), store.spec().pooling()),
                    head, store.spec().imageOptions(), provenance);
            predictor.save(output);
            main.out.println("Head: " + head);
            main.out.println("Saved " + output + ": " + predictor);
            if (validation != null) {
                try (FeatureStore v = FeatureStore.open(validation)) {
                    main.out.println("\nValidation report (" + validation + ")\n" + predictor.evaluate(v));
                }
            }
        }
        return 0;
    }

    private Head mlp(FeatureStore store, ClassWeights classWeights) {
        StoreDataSetIterator it = StoreDataSetIterator.builder().setStore(store).setBatchSize(batchSize).optSeed(seed).build();
        MlpHeadTrainer trainer = MlpHeadTrainer.builder().optHiddenLayers(hidden).optEpochs(epochs, patience)
                .optClassWeights(classWeights).optSeed(seed).optListener(r -> main.err.println(r)).build();
        if (validation == null) {
            return trainer.fit(it, null, store.labelNames(), store.dim(), classCounts(store));
        }
        try (FeatureStore v = FeatureStore.open(validation)) {
            v.requireCompatible(store.spec());
            StoreDataSetIterator vit = StoreDataSetIterator.builder().setStore(v).setBatchSize(batchSize).optShuffle(false).build();
            return trainer.fit(it, vit, store.labelNames(), store.dim(), classCounts(store));
        }
    }

    private static long[] classCounts(FeatureStore store) {
        long[] counts = new long[store.labelNames().size()];
        for (long start = 0; start < store.rows(); start += 65536) {
            for (int y : store.readLabels(start, (int) Math.min(65536, store.rows() - start))) {
                counts[y]++;
            }
        }
        return counts;
    }

    private BaseModel baseModel(StoreSpec spec) {
        String source = model != null ? model : spec.model();
        BaseModel base;
        try {
            // An ONNX model is read at the size and with the preprocessing its store was extracted with.
            base = ModelSpec.parse(source, new int[]{spec.inputSpec().height(), spec.inputSpec().width()},
                    spec.preprocessing()).load();
        } catch (TransferKitException e) {
            if (model != null) {
                throw e;
            }
            throw new TransferKitException("The store " + train + " was extracted with the network '" + spec.model()
                    + "', which is not a built-in network: pass its model file with --model.", e);
        }
        if (!base.name().equals(spec.model()) || !base.inputSpec().equals(spec.inputSpec())) {
            throw new TransferKitException("The store " + train + " holds features of the network '" + spec.model() + "' at "
                    + spec.inputSpec() + ", but --model " + source + " is '" + base.name() + "' at " + base.inputSpec()
                    + "; pass the network the store was extracted with.");
        }
        return base;
    }
}
