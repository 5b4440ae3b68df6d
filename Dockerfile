# syntax=docker/dockerfile:1
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/rightsdesk ./cmd/rightsdesk \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/rightsdesk /rightsdesk
COPY --from=build --chown=nonroot:nonroot /out/data /data
ENV RIGHTSDESK_ADDR=0.0.0.0:8080 \
    RIGHTSDESK_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/rightsdesk"]
CMD ["serve"]
