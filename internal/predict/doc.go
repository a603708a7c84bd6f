// Package predict is the wire contract of the prediction service
// (predictd), shared by its server and its clients (apid, and later others):
// the request bodies of POST /predict (Features: the original system's 39
// named features) and POST /predict/shot (ShotRequest: a raw shot in the
// Kaggle schema's snake_case names), their strict decoders with FastAPI-style
// validation errors, the responses, and Client.
//
// Both sides decode requests with the same code, so a body apid accepts is a
// body predictd accepts.
package predict
