// A scoring script that does no work: the benchmark measures the pipeline, not the model.
exports.run = async (miniBatch) => miniBatch.map((file) => require('node:path').basename(file));
