// The ObjectStore conformance suite against a real S3 server: Ceph RGW in a container here, MinIO in a
// container on a Docker host, else S3_ENDPOINT, else s3rver (the last fallback). The suite's name says
// which one ran.
import { startTestS3 } from '../support/test-s3.js';
import { objectStoreConformance } from './object-store-conformance.js';

const s3 = await startTestS3();

objectStoreConformance(`S3 on ${s3.source} (${s3.config.endPoint}:${s3.config.port})`, async () => ({
  store: s3.store,
  presigns: true,
  // Real S3 servers replace objects atomically; the s3rver test double writes files in place.
  ...(s3.source === 's3rver'
    ? { notAtomic: 's3rver (the last-fallback stand-in for MinIO) writes objects in place' }
    : {}),
  // Measured here: RGW 18 on its single-node dbstore backend reads a multipart object back wrong (the
  // last part's bytes where the first part's should be), whichever client uploads it.
  ...(s3.source === 'rgw-container'
    ? { multipartDefect: "Ceph RGW 18 dbstore (this machine's S3 container) corrupts multipart objects" }
    : {}),
  stop: () => s3.stop(),
}));
