import { startTestS3 } from '../support/test-s3.js';
import { objectStoreConformance } from './object-store-conformance.js';

objectStoreConformance('S3 (MinIO container, S3_ENDPOINT or s3rver)', async () => {
  const s3 = await startTestS3();
  return {
    store: s3.store,
    presigns: true,
    // Real S3 and MinIO replace objects atomically; the s3rver test double writes files in place.
    ...(s3.source === 's3rver'
      ? { notAtomic: 's3rver (the local stand-in for MinIO) writes objects in place' }
      : {}),
    stop: () => s3.stop(),
  };
});
